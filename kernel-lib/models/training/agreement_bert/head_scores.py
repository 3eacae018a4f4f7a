"""Per-head attention scores of tiny-agreement-bert on held-out sentences: [layer, head] tables."""

import numpy as np

from .batches import bert_encode_examples, shift_pos


def relation_scores(probs, exs, src_key, tgt_key, other_key, only=None):
    """From the word at src_key: mean weight on tgt_key and on other_key, how often the target gets more
    than the other word ("win") and how often it is the most attended key ("argmax"). Sentences without
    an other word, or failing `only`, are skipped."""
    L, H = probs.shape[1], probs.shape[2]
    mean_t = np.zeros((L, H))
    mean_o = np.zeros((L, H))
    win = np.zeros((L, H))
    argmax = np.zeros((L, H))
    n = 0
    for b, e in enumerate(exs):
        if e.get(other_key) is None or (only is not None and not only(e)):
            continue
        s = shift_pos(e, e[src_key])
        t = shift_pos(e, e[tgt_key])
        o = shift_pos(e, e[other_key])
        row = probs[b, :, :, s, :].numpy()  # [L, H, T]
        mean_t += row[:, :, t]
        mean_o += row[:, :, o]
        win += row[:, :, t] > row[:, :, o]
        argmax += row.argmax(-1) == t
        n += 1
    return {"target": mean_t / n, "other": mean_o / n, "win": win / n, "argmax": argmax / n, "n": n}


def positional(probs_list, vocab):
    """Mean weight on the previous/next/same token, [CLS] and [SEP], over content-token queries."""
    L, H = probs_list[0][0].shape[1], probs_list[0][0].shape[2]
    acc = {k: np.zeros((L, H)) for k in ["previous", "next", "self", "cls", "sep"]}
    n = 0
    for probs, exs in probs_list:
        rows = bert_encode_examples(exs, vocab)
        for b, (toks, _) in enumerate(rows):
            T = len(toks)
            p = probs[b, :, :, :T, :T].numpy()
            seps = [i for i, t in enumerate(toks) if t == "[SEP]"]
            for i in range(1, T - 1):
                if toks[i] == "[SEP]":
                    continue
                acc["previous"] += p[:, :, i, i - 1]
                acc["next"] += p[:, :, i, i + 1]
                acc["self"] += p[:, :, i, i]
                acc["cls"] += p[:, :, i, 0]
                acc["sep"] += p[:, :, i, seps].sum(-1)
                n += 1
    return {k: v / n for k, v in acc.items()}


def measure_head_scores(probs_coref, coref_exs, probs_agree, agree_exs, vocab):
    """All the score tables heads.json and the model card report."""
    scores = {
        "coref": relation_scores(probs_coref, coref_exs, "pron", "ante", "distr"),
        "coref_subj": relation_scores(probs_coref, coref_exs, "pron", "ante", "distr", only=lambda e: e["ante_is_subj"]),
        "coref_obj": relation_scores(probs_coref, coref_exs, "pron", "ante", "distr", only=lambda e: not e["ante_is_subj"]),
        "agree": relation_scores(probs_agree, agree_exs, "verb", "subj", "attr"),
        "positional": positional([(probs_coref[:500], coref_exs[:500]), (probs_agree[:500], agree_exs[:500])], vocab),
    }
    # The model splits pronoun resolution by the antecedent's class: measure each class separately.
    scores["coref_by_class"] = {
        cls_name: relation_scores(probs_coref, coref_exs, "pron", "ante", "distr", only=lambda e, a=animate: e["ante_animate"] == a)
        for cls_name, animate in [("animate", True), ("inanimate", False)]
    }
    return scores
