"""Naming the heads of tiny-induction-gpt from its score tables, and checking them by ablation."""

import numpy as np
import torch

from ..attention_sites import head_site
from ..rounding import r4
from .head_scores import SEGMENT_LENGTH
from .repeat_eval import gpt_repeat_eval

ABLATION_SEQUENCES = 128


def find_roles(tables):
    """Heads over a role's threshold, in (layer, head) order."""
    prev_random, induction, duplicate, bos = tables["prev_random"], tables["induction"], tables["duplicate"], tables["bos"]
    NL, H = prev_random.shape
    roles = []
    for l in range(NL):
        for h in range(H):
            site = head_site("decoder", "self", l, h)
            if prev_random[l, h] >= 0.5:
                roles.append({**site, "role": "previous-token", "score": r4(prev_random[l, h]),
                              "metric": "mean attention weight on position i-1 (random tokens, no repeats)"})
            if induction[l, h] >= 0.3:
                roles.append({**site, "role": "induction", "score": r4(induction[l, h]),
                              "metric": f"mean attention weight on the token after the previous occurrence of the current token ([BOS] S S, |S|={SEGMENT_LENGTH}, second copy)"})
            if duplicate[l, h] >= 0.3:
                roles.append({**site, "role": "duplicate-token", "score": r4(duplicate[l, h]),
                              "metric": "mean attention weight on the previous occurrence of the current token"})
            if bos[l, h] >= 0.5:
                roles.append({**site, "role": "attend-to-first", "score": r4(bos[l, h]),
                              "metric": "mean attention weight on position 0 (<|endoftext|>)"})
    return roles


def ablate_heads(model, cfg, n_special, roles):
    """Knock out each head, measure the second-half loss again; adds it to each role.
    -> per-head results, and the baseline's first- and second-half losses."""
    NL, H, V = cfg["n_layer"], cfg["n_head"], cfg["vocab_size"]
    L_seg = SEGMENT_LENGTH
    ablation = []
    for l in range(NL):
        for h in range(H):
            hm = [torch.ones(H) for _ in range(NL)]
            hm[l][h] = 0.0
            f_, s_, a_, _, _ = gpt_repeat_eval(model, np.random.default_rng(11), ABLATION_SEQUENCES, L_seg, V, n_special, hm)
            ablation.append({"layer": l, "head": h, "first_half_loss": r4(f_), "second_half_loss": r4(s_), "second_half_top1": r4(a_)})
    f0, s0, _, _, _ = gpt_repeat_eval(model, np.random.default_rng(11), ABLATION_SEQUENCES, L_seg, V, n_special)
    for r in roles:
        ab = [a for a in ablation if a["layer"] == r["layer"] and a["head"] == r["head"]][0]
        r["ablated_second_half_loss"] = ab["second_half_loss"]
    return ablation, f0, s0
