"""Held-out accuracy of tiny-agreement-bert, and the attention probabilities the head measurements read."""

import random

import torch

from .batches import bert_batch, shift_pos
from .grammar import BertGrammar
from .lexicon import NUMBER_PAIRS

HELD_OUT_SENTENCES = 1500


def held_out_sentences():
    """Fresh pronoun and agreement sentences (own seed; the training exclusion does not apply)."""
    gram = BertGrammar(random.Random(99))
    coref_exs = [gram.coref() for _ in range(HELD_OUT_SENTENCES)]
    agree_exs = [gram.agree() for _ in range(HELD_OUT_SENTENCES)]
    return coref_exs, agree_exs


def forward_batch(model, vocab, noun_index, exs, masked_positions=None):
    """Unmasked inputs, or [MASK] at the given positions -> ids, logits, aux predictions, aux labels,
    attention probabilities [B, L, H, T, T]."""
    inp, types, mask, _, aux_labels, ids = bert_batch(exs, vocab, noun_index, rng=None, train=False)
    if masked_positions is not None:
        inp = inp.clone()
        for b, ps in enumerate(masked_positions):
            for q in ps:
                inp[b, q] = vocab["[MASK]"]
    with torch.no_grad():
        logits, h, probs = model(inp, mask, types)
        auxp = model.aux(h).argmax(-1)
    return ids, logits, auxp, aux_labels, torch.stack(probs, 1)


def evaluate(model, vocab, noun_index, coref_exs, agree_exs):
    """-> metrics, and the unmasked attention probabilities on the pronoun and agreement sentences."""

    def run(exs, masked_positions=None):
        return forward_batch(model, vocab, noun_index, exs, masked_positions)

    metrics = {}
    # agreement: mask the main verb; compare the right form with its other-number form
    mpos = [[shift_pos(e, e["verb"])] for e in agree_exs]
    _, logits, _, _, _ = run(agree_exs, mpos)
    ok, ok_mis, n_mis = 0, 0, 0
    for b, e in enumerate(agree_exs):
        q = mpos[b][0]
        gold = e["tokens"][e["verb"]]
        wrong = NUMBER_PAIRS[gold]
        good = logits[b, q, vocab[gold]] > logits[b, q, vocab[wrong]]
        ok += int(good)
        if e["attr_mismatch"]:
            n_mis += 1
            ok_mis += int(good)
    metrics["agreement_accuracy"] = ok / len(agree_exs)
    metrics["agreement_accuracy_with_mismatched_attractor"] = ok_mis / max(1, n_mis)
    metrics["agreement_examples"] = len(agree_exs)
    metrics["agreement_mismatched_attractor_examples"] = n_mis
    # pronoun: mask pronoun and copula; compare it/they where the two nouns differ in number
    mpos = [[shift_pos(e, e["pron"]), shift_pos(e, e["be"])] for e in coref_exs]
    _, logits, _, _, _ = run(coref_exs, mpos)
    okp, nd = 0, 0
    for b, e in enumerate(coref_exs):
        if e["same_number"]:
            continue
        q = mpos[b][0]
        gold = e["tokens"][e["pron"]]
        nd += 1
        okp += int(logits[b, q, vocab[gold]] > logits[b, q, vocab[NUMBER_PAIRS[gold]]])
    metrics["pronoun_number_accuracy"] = okp / max(1, nd)
    metrics["pronoun_number_examples"] = nd
    # antecedent identification by the (training-only) aux head, unmasked input
    _, _, auxp, auxl, probs_coref = run(coref_exs)
    sel = auxl >= 0
    metrics["aux_antecedent_accuracy"] = (auxp[sel] == auxl[sel]).float().mean().item()
    _, _, auxp_a, auxl_a, probs_agree = run(agree_exs)
    vsel = torch.zeros_like(auxl_a, dtype=torch.bool)
    for b, e in enumerate(agree_exs):
        vsel[b, shift_pos(e, e["verb"])] = True
    metrics["aux_subject_accuracy"] = (auxp_a[vsel] == auxl_a[vsel]).float().mean().item()
    return metrics, probs_coref, probs_agree
