/**
 * Corpus aggregates against numpy: mean, sample std and quantiles of the same values (quantiles within
 * the sketch's relative accuracy of numpy's "lower" order statistic, the one the rank rule picks), and
 * merge-order independence: shards merged in any order give the same counts, sketches and summaries.
 */
import { describe, expect, it } from "vitest";
import { runPython } from "../../test/pythonEnv";
import {
  CorpusAggregate,
  type CorpusAggregateJson,
  MetricAggregate,
  mergeCorpusAggregates,
  SKETCH_ALPHA,
  SUMMARY_QUANTILES,
} from "../src/corpus/aggregate";
import { seededRandom } from "../src/testing";

const rand = seededRandom(7);
/** Entropy-like, distance-like (with zeros) and signed values. */
const SETS: Record<string, number[]> = {
  entropy: Array.from({ length: 3000 }, () => 2.5 * rand() ** 2),
  distance: Array.from({ length: 2000 }, (_, i) => (i % 10 === 0 ? 0 : Math.exp(4 * rand()))),
  signed: Array.from({ length: 1500 }, () => (rand() - 0.4) * 10),
  one: [0.75],
};

const numpy = JSON.parse(
  runPython(
    `
import json, sys, numpy as np
sets = json.loads(sys.argv[1])
qs = [float(q) for q in sys.argv[2].split(",")]
out = {}
for k, v in sets.items():
    a = np.array(v, dtype=np.float64)
    out[k] = {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if len(a) > 1 else 0.0,
              "q": [float(np.quantile(a, q, method="lower")) for q in qs], "min": float(a.min()), "max": float(a.max())}
print(json.dumps(out))
`,
    [JSON.stringify(SETS), SUMMARY_QUANTILES.join(",")],
  ),
) as Record<string, { mean: number; std: number; q: number[]; min: number; max: number }>;

describe("MetricAggregate against numpy", () => {
  for (const [name, values] of Object.entries(SETS)) {
    it(`${name}: mean, std, ci95, range and quantiles`, () => {
      const a = new MetricAggregate();
      for (const v of values) a.add(v);
      const s = a.stats();
      const ref = numpy[name];
      expect(s.n).toBe(values.length);
      expect(s.mean).toBeCloseTo(ref.mean, 12);
      expect(s.std as number).toBeCloseTo(ref.std, 11);
      expect([s.min, s.max]).toEqual([ref.min, ref.max]);
      const half = (1.96 * ref.std) / Math.sqrt(values.length);
      expect(s.ci95?.[0]).toBeCloseTo(ref.mean - half, 11);
      expect(s.ci95?.[1]).toBeCloseTo(ref.mean + half, 11);
      SUMMARY_QUANTILES.forEach((q, k) => {
        const got = s.quantiles[q] as number;
        const want = ref.q[k];
        if (Math.abs(want) <= 1e-12) expect(got).toBe(0);
        else expect(Math.abs(got - want)).toBeLessThanOrEqual(SKETCH_ALPHA * Math.abs(want) * (1 + 1e-9));
      });
    });
  }

  it("skips non-finite values and reads null statistics when empty", () => {
    const a = new MetricAggregate();
    a.add(Number.NaN);
    a.add(Number.POSITIVE_INFINITY);
    expect(a.stats()).toEqual({
      n: 0,
      mean: null,
      std: null,
      ci95: null,
      min: null,
      max: null,
      quantiles: { "0.05": null, "0.25": null, "0.5": null, "0.75": null, "0.95": null },
    });
  });
});

/** A corpus aggregate of some inputs of one 2-site, 3-head model. */
function shard(values: number[], offset: number): CorpusAggregateJson {
  const c = new CorpusAggregate();
  values.forEach((v, local) => {
    const i = offset + local;
    for (const [id, layer] of [
      ["encoder.self.1", 1],
      ["encoder.self.0", 0],
    ] as const) {
      const heads = c.site({ id, stack: "encoder", kind: "self", layer }, 3);
      heads.forEach((h, k) =>
        h.add(
          { entropy: v * (k + 1), distance: v + k, cls: i % 3 === 0 ? null : v / 2 },
          ["previous", "broad", "mixed"][(i + k) % 3],
          (i + k) % 2 ? ["previous", "sink"] : ["broad"],
        ),
      );
      heads[0].addProbe("to-first", v > 1);
    }
    c.inputs++;
    if (i % 50 === 0) c.skip(i + 1, "empty", "empty line");
  });
  return JSON.parse(JSON.stringify(c.toJSON()));
}

describe("merging shards", () => {
  const values = SETS.entropy;
  const parts = [0, 700, 1400, 2600].map((start, k, a) => shard(values.slice(start, a[k + 1] ?? values.length), start));
  const whole = CorpusAggregate.fromJSON(shard(values, 0));

  it("gives the same result in any order, equal to one pass over all the inputs", () => {
    const orders = [
      [0, 1, 2, 3],
      [3, 2, 1, 0],
      [2, 0, 3, 1],
    ];
    const merged = orders.map((o) => CorpusAggregate.fromJSON(mergeCorpusAggregates(o.map((i) => parts[i]))));
    for (const m of [...merged.slice(1), whole]) {
      // Counts, ranges, sketches, label tables and problems: exactly equal.
      expect(m.counts()).toEqual(merged[0].counts());
      const strip = (a: CorpusAggregate) =>
        a.toJSON().sites.map((s) =>
          s.heads.map(({ entropy, distance, cls, ...rest }) => ({
            rest,
            aggs: [entropy, distance, cls].map(({ mean: _m, m2: _m2, ...exact }) => exact),
          })),
        );
      expect(strip(m)).toEqual(strip(merged[0]));
      // Moments: equal to rounding (Chan's merge is exact in real arithmetic).
      const a = m.siteSummaries();
      const b = merged[0].siteSummaries();
      a.forEach((s, i) =>
        s.heads.forEach((h, k) => {
          for (const key of ["entropy", "distance", "cls"] as const) {
            expect(h[key].mean).toBeCloseTo(b[i].heads[k][key].mean as number, 12);
            expect(h[key].std).toBeCloseTo(b[i].heads[k][key].std as number, 12);
            expect(h[key].quantiles).toEqual(b[i].heads[k][key].quantiles);
          }
        }),
      );
    }
    const s = merged[0].siteSummaries();
    expect(s.map((x) => x.id)).toEqual(["encoder.self.0", "encoder.self.1"]);
    expect(s[0].heads[0].entropy.n).toBe(values.length);
    expect(s[0].heads[0].cls.n).toBe(values.filter((_, i) => i % 3 !== 0).length);
    expect(s[0].heads[0].probes["to-first"]).toEqual({ pass: values.filter((v) => v > 1).length, n: values.length });
    expect(merged[0].skipped).toBe(values.filter((_, i) => i % 50 === 0).length);
    expect(merged[0].problems.map((p) => p.line)).toEqual(Array.from({ length: 60 }, (_, k) => 50 * k + 1));
  });
});
