"""tiny-agreement-bert's reference.json: tokenizer samples, and torch attention and logits on the seed sentence."""

import os
import random

from ..attention_sites import reference_site
from ..output_files import write_compact_json
from ..reference_json import logits_sample
from ..rounding import nested_round
from .grammar import BertGrammar, surface
from .lexicon import SEED_SENTENCE
from .probes import run_text
from .wordpiece import bert_tokenize


def tokenizer_samples(vocab, n=24):
    """Generated sentences (own seed) as text -> tokens, ids and token types."""
    samples = []
    s_gram = BertGrammar(random.Random(7))
    for _ in range(n):
        e = s_gram.sample()
        if e["pair_split"] is not None:
            a = surface(e["tokens"][: e["pair_split"]])
            b = surface(e["tokens"][e["pair_split"]:])
        else:
            a, b = surface(e["tokens"]), None
        toks_, tt_ = bert_tokenize(a, vocab, b)
        samples.append({"text": a, "text_pair": b, "tokens": toks_, "ids": [vocab[t] for t in toks_], "token_type_ids": tt_})
    return samples


def write_reference(out_dir, model, vocab, patterns):
    samples = tokenizer_samples(vocab)
    toks, tt, ids, lg, pr = run_text(model, vocab, SEED_SENTENCE)
    L = pr.shape[0]
    reference = {
        "tokenizer_samples": [{"text": SEED_SENTENCE, "text_pair": None, "tokens": toks, "ids": ids, "token_type_ids": tt}] + samples,
        "probe": {
            "text": SEED_SENTENCE,
            "tokens": toks,
            "input_ids": ids,
            "attention_mask": [1] * len(toks),
            "token_type_ids": tt,
            "sites": [reference_site("encoder", "self", l, patterns[l]["softmax"]) for l in range(L)],
            "attention": [nested_round(pr[l]) for l in range(L)],  # [layer][head][query][key]
            "logits_argmax": lg.argmax(-1).tolist(),
            "logits_sample": logits_sample(lg, [0, len(toks) // 2, len(toks) - 1]),
        },
    }
    write_compact_json(os.path.join(out_dir, "reference.json"), reference)
