/**
 * corpus_ray/aggregate.py, the Ray engine's mergeable aggregates, against numpy on the whole array:
 * shards merged in any order and any split give the count, mean, M2 (variance), min and max of the
 * concatenation (1e-12 relative) and exactly the same sketch buckets; a quantile lies within the
 * sketch's relative accuracy of numpy's element of rank ⌊q·(n−1)⌋.
 */
import { describe, expect, it } from "vitest";
import { ROOT } from "../cliRunner";
import { runPython } from "../pythonEnv";

const CHECK = `
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from corpus_ray import aggregate
rng = np.random.default_rng(3)
x = np.concatenate([rng.lognormal(0, 2, 3000), -rng.exponential(1, 500), np.zeros(20), [np.nan] * 7])
whole = aggregate.of_values(x)
worst = {"mean": 0, "var": 0, "minmax": 0, "quantile": 0}
buckets_equal = True
defined = np.sort(x[~np.isnan(x)])
for trial in range(20):
    cuts = np.sort(rng.choice(len(x), size=rng.integers(1, 30), replace=False))
    parts = [aggregate.of_values(p) for p in np.split(rng.permutation(x), cuts)]
    rng.shuffle(parts)
    merged = aggregate.empty()
    for p in parts:
        merged = aggregate.merge(merged, p)
    assert merged["n"] == len(defined)
    worst["mean"] = max(worst["mean"], abs(merged["mean"] - defined.mean()) / abs(defined.mean()))
    worst["var"] = max(worst["var"], abs(merged["m2"] / (merged["n"] - 1) - defined.var(ddof=1)) / defined.var(ddof=1))
    worst["minmax"] = max(worst["minmax"], abs(merged["min"] - defined[0]) + abs(merged["max"] - defined[-1]))
    buckets_equal &= merged["sketch"] == whole["sketch"]
    for q in (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99):
        exact = defined[int(np.floor(q * (len(defined) - 1)))]
        est = aggregate.quantile(merged, q)
        worst["quantile"] = max(worst["quantile"], abs(est - exact) / max(abs(exact), 1e-300) if abs(exact) > 1e-12 else abs(est))
print(json.dumps({**worst, "bucketsEqual": bool(buckets_equal), "n": whole["n"], "expected": int(len(defined))}))
`;

describe("the Ray engine's mergeable aggregates", () => {
  it("merge in any order and split to the numpy statistics of the whole, sketch buckets exactly", () => {
    const r = JSON.parse(runPython(CHECK, [ROOT]));
    expect(r.n).toBe(r.expected);
    expect(r.mean).toBeLessThan(1e-12);
    expect(r.var).toBeLessThan(1e-12);
    expect(r.minmax).toBe(0);
    expect(r.bucketsEqual).toBe(true);
    expect(r.quantile).toBeLessThanOrEqual(0.005 + 1e-12);
  });
});
