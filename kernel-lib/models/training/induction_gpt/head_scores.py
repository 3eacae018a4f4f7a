"""tiny-induction-gpt on held-out sequences: the repeat test's losses and per-head [layer, head] score tables."""

import math

import numpy as np
import torch

from ..rounding import r4
from .data import random_sequences
from .repeat_eval import gpt_repeat_eval

EVAL_SEQUENCES = 256
SEGMENT_LENGTH = 30


def measure_heads(model, cfg, n_special):
    """-> the repeat test's unrounded losses and accuracy (the model card formats these), metrics, score
    tables, and the [BOS] S S inputs (the ONNX export traces two of them)."""
    V = cfg["vocab_size"]
    L_seg = SEGMENT_LENGTH
    ev_rng = np.random.default_rng(7)
    first, second, acc2, probs, xs = gpt_repeat_eval(model, ev_rng, EVAL_SEQUENCES, L_seg, V, n_special)
    P = probs.numpy()  # [B, layer, head, T, T]
    Tq = P.shape[-1]
    idx = np.arange(1, Tq)
    prev_score = P[:, :, :, idx, idx - 1].mean(axis=(0, 3))  # over all queries i >= 1
    q2 = np.arange(L_seg + 1, 2 * L_seg)  # second copy, queries whose next token is known in context
    induction = P[:, :, :, q2, q2 - L_seg + 1].mean(axis=(0, 3))
    duplicate = P[:, :, :, q2, q2 - L_seg].mean(axis=(0, 3))
    bos = P[:, :, :, 1:, 0].mean(axis=(0, 3))
    # previous-token score on plain random text (no repeats); same generator, after the repeat test
    xr = random_sequences(ev_rng, EVAL_SEQUENCES, cfg["n_positions"], V, n_special)
    with torch.no_grad():
        _, pr = model(xr, torch.ones_like(xr))
    Pr = torch.stack(pr, 1).numpy()
    ir = np.arange(1, Pr.shape[-1])
    prev_random = Pr[:, :, :, ir, ir - 1].mean(axis=(0, 3))
    metrics = {
        "first_half_loss": r4(first),
        "second_half_loss": r4(second),
        "in_context_loss_drop": r4(first - second),
        "uniform_loss": r4(math.log(V - n_special)),
        "second_half_top1": r4(acc2),
        "eval_sequences": EVAL_SEQUENCES,
        "segment_length": L_seg,
    }
    tables = {"prev_score": prev_score, "induction": induction, "duplicate": duplicate, "bos": bos, "prev_random": prev_random}
    repeat = {"first": first, "second": second, "acc2": acc2}
    return repeat, metrics, tables, xs
