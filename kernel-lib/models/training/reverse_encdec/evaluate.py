"""Held-out accuracy of tiny-reverse-encdec (greedy and teacher-forced), and its attention probabilities."""

import numpy as np
import torch

from ..rounding import r4
from .data import ed_batch
from .decoding import ed_greedy
from .train import MAX_WORDS, MIN_WORDS

EVAL_SEQUENCES = 1000


def evaluate(model, vocab):
    """-> metrics, the source word sequences, and the teacher-forced encoder, decoder-self and cross
    attention probabilities (lists over layers of [B, H, T, T])."""
    min_len, max_len = MIN_WORDS, MAX_WORDS
    ev = np.random.default_rng(12345)
    src, mask, dec_in, labels, seqs = ed_batch(ev, EVAL_SEQUENCES, vocab, min_len, max_len)
    out = ed_greedy(model, src, mask, vocab, max_len + 2)
    exact = 0
    by_len = {}
    for b, x in enumerate(seqs):
        want = list(x[::-1]) + [vocab["</s>"]]
        got = out[b, : len(want)].tolist()
        ok = got == want
        exact += ok
        n = len(x)
        by_len.setdefault(n, [0, 0])
        by_len[n][0] += ok
        by_len[n][1] += 1
    metrics = {
        "greedy_exact_match": r4(exact / len(seqs)),
        "eval_sequences": len(seqs),
        "lengths": [min_len, max_len],
        "exact_match_by_length": {str(k): r4(v[0] / v[1]) for k, v in sorted(by_len.items())},
    }
    with torch.no_grad():
        logits, enc_p, self_p, cross_p = model(src, mask, dec_in)
    metrics["teacher_forced_token_accuracy"] = r4(((logits.argmax(-1) == labels)[labels >= 0]).float().mean())
    return metrics, seqs, (enc_p, self_p, cross_p)
