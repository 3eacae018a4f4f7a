"""The in-context test of tiny-induction-gpt: how much better it predicts the second copy of a segment."""

import torch
import torch.nn.functional as F

from .data import repeated_segment_sequences


def gpt_repeat_eval(model, rng, n, L, V, n_special, head_masks=None):
    """[BOS] S S with S of L distinct tokens: losses on each half, attention probs."""
    x = repeated_segment_sequences(rng, n, L, V, n_special)
    with torch.no_grad():
        logits, probs = model(x, torch.ones_like(x), head_masks)
    lp = F.log_softmax(logits[:, :-1], -1).gather(-1, x[:, 1:, None])[..., 0]  # lp[:, i] = log p(x[i+1] | x[:i+1])
    first = -lp[:, 1:L].mean().item()  # predicting S[1..L-1] from inside the first copy
    second = -lp[:, L + 1 : 2 * L].mean().item()  # predicting S[1..L-1] of the second copy
    acc2 = (logits[:, L + 1 : 2 * L].argmax(-1) == x[:, L + 2 : 2 * L + 1]).float().mean().item()
    return first, second, acc2, torch.stack(probs, 1), x
