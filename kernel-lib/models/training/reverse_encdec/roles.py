"""Naming the heads of tiny-reverse-encdec from its score tables: the roles listed in heads.json."""

from ..attention_sites import head_site
from ..rounding import r4


def find_roles(tables):
    """Decoder heads (cross-attention, then self-attention per head) before encoder heads; threshold 0.5."""
    t = tables
    NLd, H = t["out_align"].shape
    NLe = t["enc_prev"].shape[0]
    roles = []
    for l in range(NLd):
        for h in range(H):
            cs = head_site("decoder", "cross", l, h)
            if t["out_align"][l, h] >= 0.5:
                roles.append({**cs, "role": "alignment (source token being produced)", "score": r4(t["out_align"][l, h]),
                              "metric": "fraction of target positions whose argmax source position is the aligned source token (target t -> source n-1-t)",
                              "mean_weight": r4(t["out_weight"][l, h])})
            if t["in_align"][l, h] >= 0.5:
                roles.append({**cs, "role": "alignment (source of the decoder input token)", "score": r4(t["in_align"][l, h]),
                              "metric": "fraction of target positions t>=1 whose argmax source position is that of the decoder input token (source n-t)",
                              "mean_weight": r4(t["in_weight"][l, h])})
            if t["eos_w"][l, h] >= 0.5:
                roles.append({**cs, "role": "attend-to-</s>", "score": r4(t["eos_w"][l, h]), "metric": "mean cross-attention weight on the source </s>"})
            ss = head_site("decoder", "self", l, h)
            if t["dec_prev"][l, h] >= 0.5:
                roles.append({**ss, "role": "previous-token", "score": r4(t["dec_prev"][l, h]), "metric": "mean weight on position t-1"})
            if t["dec_first"][l, h] >= 0.5:
                roles.append({**ss, "role": "attend-to-first", "score": r4(t["dec_first"][l, h]), "metric": "mean weight on position 0 (<s>)"})
    for l in range(NLe):
        for h in range(H):
            es = head_site("encoder", "self", l, h)
            for mat, role, metric in [
                (t["enc_prev"], "previous-token", "mean weight on position i-1"),
                (t["enc_next"], "next-token", "mean weight on position i+1"),
                (t["enc_eos"], "attend-to-</s>", "mean weight on the source </s>"),
                (t["enc_mirror"], "mirror (n-1-i)", "mean weight on the mirrored position n-1-i"),
            ]:
                if mat[l, h] >= 0.5:
                    roles.append({**es, "role": role, "score": r4(mat[l, h]), "metric": metric})
    return roles
