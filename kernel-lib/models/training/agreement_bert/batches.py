"""Generated examples -> model inputs: [CLS]/[SEP] framing, token types, MLM masking, auxiliary labels."""

import torch

from .lexicon import BERT_SPECIALS


def bert_encode_examples(exs, vocab):
    """Word tokens -> ids with [CLS]/[SEP] and token types; positions shift by 1 for [CLS]."""
    rows = []
    for ex in exs:
        words = ex["tokens"]
        if ex["pair_split"] is None:
            toks = ["[CLS]"] + words + ["[SEP]"]
            types = [0] * len(toks)
        else:
            s = ex["pair_split"]
            toks = ["[CLS]"] + words[:s] + ["[SEP]"] + words[s:] + ["[SEP]"]
            types = [0] * (s + 2) + [1] * (len(words) - s + 1)
        rows.append((toks, types))
    return rows


def shift_pos(ex, p):
    """Position of word index p in the encoded sequence ([CLS] prepended, [SEP] between pairs)."""
    q = p + 1
    if ex["pair_split"] is not None and p >= ex["pair_split"]:
        q += 1
    return q


def bert_batch(exs, vocab, noun_index, rng, train=True):
    """-> masked input ids, token types, attention mask, MLM labels, aux labels, unmasked ids.
    With train=False nothing is masked and rng is not used."""
    rows = bert_encode_examples(exs, vocab)
    T = max(len(t) for t, _ in rows)
    B = len(rows)
    ids = torch.zeros(B, T, dtype=torch.long)
    types = torch.zeros(B, T, dtype=torch.long)
    mask = torch.zeros(B, T, dtype=torch.long)
    labels = torch.full((B, T), -100, dtype=torch.long)
    aux_labels = torch.full((B, T), -100, dtype=torch.long)
    inp = ids.clone()
    specials = {vocab[t] for t in BERT_SPECIALS}
    content_ids = [i for t, i in vocab.items() if t not in BERT_SPECIALS and not t.startswith("##")]
    for b, ((toks, tt), ex) in enumerate(zip(rows, exs)):
        n = len(toks)
        row = [vocab[t] for t in toks]
        ids[b, :n] = torch.tensor(row)
        types[b, :n] = torch.tensor(tt)
        mask[b, :n] = 1
        for p, noun in ex["aux"]:
            aux_labels[b, shift_pos(ex, p)] = noun_index[noun]
        if not train:
            continue
        masked = set()
        # targeted masking of the agreeing word (verb / pronoun) half of the time
        for p in ex["mlm_targets"]:
            if rng.random() < 0.5:
                masked.add(shift_pos(ex, p))
                if ex["kind"] == "coref" and rng.random() < 0.6:
                    masked.add(shift_pos(ex, ex["be"]))  # hide was/were so number must come from the antecedent
        for q in range(n):
            if row[q] in specials:
                continue
            if rng.random() < 0.12:
                masked.add(q)
        for q in masked:
            labels[b, q] = row[q]
            u = rng.random()
            if u < 0.8:
                row[q] = vocab["[MASK]"]
            elif u < 0.9:
                row[q] = content_ids[rng.randrange(len(content_ids))]
        inp[b, :n] = torch.tensor(row)
    if not train:
        inp = ids.clone()
    return inp, types, mask, labels, aux_labels, ids
