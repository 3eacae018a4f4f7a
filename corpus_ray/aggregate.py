"""Mergeable per-metric aggregates (the corpus contract): Welford moments merged by Chan et al.'s
pairwise formula, min/max, and DDSketch-style log buckets with relative accuracy ALPHA.

A shard's aggregate is a pure function of its values, and the driver merges shards in shard-id
order, so the result does not depend on which worker finished first or how often a shard was retried.
"""
import math

import numpy as np

ALPHA = 0.005
GAMMA = (1 + ALPHA) / (1 - ALPHA)
LN_GAMMA = math.log(GAMMA)
ZERO = 1e-12
QUANTILES = ("0.05", "0.25", "0.5", "0.75", "0.95")


def empty():
    return {"n": 0, "mean": 0.0, "m2": 0.0, "min": None, "max": None,
            "sketch": {"alpha": ALPHA, "zero": 0, "pos": {}, "neg": {}}}


def _buckets(x):
    """{i: count} for x > ZERO, i = ceil(ln x / ln gamma)."""
    if x.size == 0:
        return {}
    idx = np.ceil(np.log(x) / LN_GAMMA).astype(np.int64)
    keys, counts = np.unique(idx, return_counts=True)
    return {str(int(k)): int(c) for k, c in zip(keys, counts)}


def of_values(values):
    """The aggregate of a 1-D float array (NaN = undefined, not counted)."""
    x = np.asarray(values, dtype=np.float64)
    x = x[~np.isnan(x)]
    a = empty()
    if x.size == 0:
        return a
    mean = float(x.mean())
    a.update(n=int(x.size), mean=mean, m2=float(((x - mean) ** 2).sum()), min=float(x.min()), max=float(x.max()))
    a["sketch"].update(zero=int((np.abs(x) <= ZERO).sum()), pos=_buckets(x[x > ZERO]), neg=_buckets(-x[x < -ZERO]))
    return a


def merge(a, b):
    """Chan et al.: the aggregate of the union of a's and b's values (new dict)."""
    if b["n"] == 0:
        return a
    if a["n"] == 0:
        return b
    n = a["n"] + b["n"]
    delta = b["mean"] - a["mean"]
    mean = a["mean"] + delta * b["n"] / n
    m2 = a["m2"] + b["m2"] + delta * delta * a["n"] * b["n"] / n
    sketch = {"alpha": ALPHA, "zero": a["sketch"]["zero"] + b["sketch"]["zero"], "pos": {}, "neg": {}}
    for side in ("pos", "neg"):
        merged = dict(a["sketch"][side])
        for k, c in b["sketch"][side].items():
            merged[k] = merged.get(k, 0) + c
        sketch[side] = merged
    return {"n": n, "mean": mean, "m2": m2, "min": min(a["min"], b["min"]), "max": max(a["max"], b["max"]),
            "sketch": sketch}


def quantile(a, q):
    """The bucket value holding the element of 0-based rank floor(q·(n−1)), walking from the most negative."""
    s = a["sketch"]
    rank = q * (a["n"] - 1)
    walk = [(-1, int(i), c) for i, c in sorted(s["neg"].items(), key=lambda kv: -int(kv[0]))]
    walk.append((0, 0, s["zero"]))
    walk += [(1, int(i), c) for i, c in sorted(s["pos"].items(), key=lambda kv: int(kv[0]))]
    seen = 0
    value = 0.0
    for sign, i, c in walk:
        if c == 0:
            continue
        seen += c
        value = 0.0 if sign == 0 else sign * 2 * GAMMA ** i / (GAMMA + 1)
        if seen > rank:
            return value
    return value


def summarize(a):
    """The summary.json entry of one aggregate; nulls (n = 0) when no input defined the metric, as the local engine."""
    n = a["n"]
    if n == 0:
        return {"mean": None, "std": None, "ci95": None, "min": None, "max": None,
                "quantiles": {q: None for q in QUANTILES}, "n": 0}
    std = math.sqrt(a["m2"] / (n - 1)) if n > 1 else 0.0
    half = 1.96 * std / math.sqrt(n)
    return {"mean": a["mean"], "std": std, "ci95": [a["mean"] - half, a["mean"] + half], "min": a["min"],
            "max": a["max"], "quantiles": {q: quantile(a, float(q)) for q in QUANTILES}, "n": n}
