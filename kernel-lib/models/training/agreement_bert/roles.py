"""Naming the heads of tiny-agreement-bert from its score tables: the roles listed in heads.json."""

import numpy as np

from ..attention_sites import head_site
from ..rounding import r4

PRON_METRIC = "mean attention weight from the pronoun (it/they) to its antecedent noun"
VERB_METRIC = "mean attention weight from the main verb to its subject noun (sentences with an intervening noun)"
# score table key -> (role, metric)
POSITIONAL_ROLES = {
    "previous": ("previous-token", "mean attention weight on position i-1"),
    "next": ("next-token", "mean attention weight on position i+1"),
    "self": ("self", "mean attention weight on position i"),
    "cls": ("attend-to-[CLS]", "mean attention weight on [CLS]"),
    "sep": ("attend-to-[SEP]", "mean attention weight on the [SEP] token(s)"),
}
CLASS_EXAMPLES = {"animate": "tired, scared, hungry, …", "inanimate": "wide, heavy, busy, …"}


def encoder_head(layer, head):
    return head_site("encoder", "self", layer, head)


def best(mat):
    l, h = np.unravel_index(np.argmax(mat), mat.shape)
    return int(l), int(h)


def relation_role(sc, l, h, role, metric, condition=None, extra=None):
    r = {
        **encoder_head(l, h), "role": role,
        "score": r4(sc["target"][l, h]),
        "metric": metric,
        "distractor_weight": r4(sc["other"][l, h]),
        "win_rate": r4(sc["win"][l, h]),
        "argmax_rate": r4(sc["argmax"][l, h]),
        "examples": sc["n"],
    }
    if condition:
        r["condition"] = condition
    if extra:
        r.update(extra)
    return r


def strong_heads(sc, min_win, min_mean):
    """Heads that prefer the target in >= min_win of sentences with mean weight >= min_mean, best first."""
    L, H = sc["target"].shape
    cand = [(sc["target"][l, h], l, h) for l in range(L) for h in range(H)
            if sc["win"][l, h] >= min_win and sc["target"][l, h] >= min_mean]
    if not cand:  # always report the best head, flagged
        l, h = best(sc["target"] - sc["other"])
        return [(l, h, False)]
    return [(l, h, True) for _, l, h in sorted(cand, reverse=True)]


def find_roles(scores):
    """-> {roles (in heads.json order), best single pronoun head, best verb->subject head as (layer, head),
    strongest head of each positional kind, first pronoun head of each antecedent class}."""
    roles = []
    coref_s, agree_s, pos_s = scores["coref"], scores["agree"], scores["positional"]
    for cls_name, sc in scores["coref_by_class"].items():
        for l, h, ok in strong_heads(sc, 0.9, 0.5):
            roles.append(relation_role(sc, l, h, "pronoun->antecedent", PRON_METRIC,
                                       condition=f"antecedent is {cls_name} ({CLASS_EXAMPLES[cls_name]} sentences)",
                                       extra=None if ok else {"below_threshold": True}))
    # the best single head over all pronoun sentences (either class)
    l, h = best(coref_s["target"] - coref_s["other"])
    overall_pron = relation_role(coref_s, l, h, "pronoun->antecedent", PRON_METRIC, condition="all pronoun sentences",
                                 extra={"win_rate_antecedent_is_subject": r4(scores["coref_subj"]["win"][l, h]),
                                        "win_rate_antecedent_is_object": r4(scores["coref_obj"]["win"][l, h])})
    if coref_s["win"][l, h] >= 0.9:
        roles.append(overall_pron)
    verb_heads = strong_heads(agree_s, 0.95, 0.5)
    for l, h, ok in verb_heads:
        roles.append(relation_role(agree_s, l, h, "verb->subject", VERB_METRIC,
                                   extra={"attractor_weight": r4(agree_s["other"][l, h]), **({} if ok else {"below_threshold": True})}))
    best_verb_head = (verb_heads[0][0], verb_heads[0][1])
    positional_best = {}
    for k, (role, metric) in POSITIONAL_ROLES.items():
        l, h = best(pos_s[k])
        positional_best[role] = {"layer": l, "head": h, "score": r4(pos_s[k][l, h])}
        L, H = pos_s[k].shape
        for l in range(L):
            for h in range(H):
                if pos_s[k][l, h] >= 0.5:
                    roles.append({**encoder_head(l, h), "role": role, "score": r4(pos_s[k][l, h]), "metric": metric + " (content-token queries)"})
    class_head = {c: next(r for r in roles if r["role"] == "pronoun->antecedent" and r.get("condition", "").startswith(f"antecedent is {c}"))
                  for c in ("animate", "inanimate")}
    return {"roles": roles, "overall_pron": overall_pron, "verb_head": best_verb_head,
            "positional_best": positional_best, "class_head": class_head}
