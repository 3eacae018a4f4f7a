/** The corpus payload's validator (hostile and malformed payloads) and the corpus data shaping on a small hand-made payload. */
import { describe, expect, it } from "vitest";
import {
  type CorpusPayload,
  clusterLeaves,
  corpusCells,
  decodeCorpusPayload,
  headExamples,
  inputCells,
  isCorpusPayload,
  patternShares,
} from "../src/corpus";

const stats = (mean: number, q: number[]) => ({
  n: 10,
  mean,
  std: 1,
  ci95: [mean - 0.62, mean + 0.62] as [number, number],
  min: q[0] - 1,
  max: q[4] + 1,
  q: q as [number, number, number, number, number],
});

function small(): CorpusPayload {
  return {
    v: 1,
    kind: "corpus",
    inputs: 10,
    skipped: 1,
    metrics: ["entropy", "sink"],
    sites: [
      {
        id: "encoder.self.0",
        stack: "encoder",
        kind: "self",
        layer: 0,
        heads: 2,
        stats: { entropy: [stats(1, [0, 0.5, 1, 1.5, 2]), null], sink: [stats(0.2, [0, 0.1, 0.2, 0.4, 0.5]), null] },
        patterns: [{ previous: 3, broad: 1 }, {}],
        cluster: [1, 0],
      },
    ],
    clusters: {
      method: "test",
      k: 2,
      order: [
        [0, 1],
        [0, 0],
      ],
    },
    examples: {
      method: "test",
      metrics: ["entropy"],
      perHead: 1,
      maxChars: 100,
      inputs: [
        { input: 7, text: "<img src=x onerror=alert(1)>", values: { "encoder.self.0": { entropy: [1.25, null] } } },
      ],
      heads: {
        "encoder.self.0": [
          { typical: [[0, 0.06]], atypical: [[0, 0.06]] },
          { typical: [], atypical: [] },
        ],
      },
    },
  };
}

describe("decodeCorpusPayload", () => {
  it("accepts a well-formed payload, object or text, and isCorpusPayload tells it from payload v1", () => {
    expect(decodeCorpusPayload(small()).inputs).toBe(10);
    expect(decodeCorpusPayload(JSON.stringify(small())).sites[0].id).toBe("encoder.self.0");
    expect(isCorpusPayload(small())).toBe(true);
    expect(isCorpusPayload({ v: 1, samples: 1, tokens: {}, sites: [] })).toBe(false);
    expect(isCorpusPayload("not json")).toBe(false);
  });

  const cases: [string, (p: CorpusPayload) => void, RegExp][] = [
    ["another version", (p) => Object.assign(p, { v: 2 }), /expected \{ v: 1, kind: "corpus" \}/],
    [
      "a NaN mean",
      (p) => Object.assign(p.sites[0].stats.entropy[0] as object, { mean: Number.NaN }),
      /mean must be a number/,
    ],
    ["four quantiles", (p) => Object.assign(p.sites[0].stats.entropy[0] as object, { q: [1, 2, 3, 4] }), /5 quantiles/],
    ["a stats list one head short", (p) => p.sites[0].stats.sink.pop(), /one entry per head/],
    ["a site id that is markup", (p) => Object.assign(p.sites[0], { id: "<b>x</b>" }), /id must be stack.kind.layer/],
    ["a metric named __proto__", (p) => p.metrics.push("__proto__"), /metric names/],
    ["a metric named constructor", (p) => p.metrics.push("constructor"), /metric names/],
    [
      "values for a __proto__ site",
      (p) => {
        p.examples = JSON.parse(
          JSON.stringify(p.examples).replace('"values":{"encoder.self.0"', '"values":{"__proto__"'),
        );
      },
      /unknown site/,
    ],
    ["an example index out of range", (p) => p.examples?.heads["encoder.self.0"][0].typical.push([5, 1]), /in range/],
    ["a cluster order pointing at no site", (p) => p.clusters?.order.push([3, 0]), /in range/],
    ["a cluster ≥ k", (p) => Object.assign(p.sites[0], { cluster: [2, 0] }), /cluster < k/],
    ["a pattern label that is markup", (p) => Object.assign(p.sites[0], { patterns: [{ "<i>": 1 }, {}] }), /label/],
    [
      "a text that is not a string",
      (p) => Object.assign(p.examples?.inputs[0] as object, { text: { html: "<b>" } }),
      /input, text/,
    ],
    [
      "an opened payload that is not payload v1",
      (p) => Object.assign(p, { opened: { input: 7, text: "t", payload: { v: 9 } } }),
      /version 9/,
    ],
  ];
  for (const [what, spoil, message] of cases) {
    it(`refuses ${what}`, () => {
      const p = small();
      spoil(p);
      expect(() => decodeCorpusPayload(p)).toThrow(message);
    });
  }
});

describe("corpus data shaping", () => {
  it("grid cells: mean, IQR = q75 − q25, cluster; null where no input defined the metric", () => {
    expect(corpusCells(small(), "entropy")).toEqual([
      { site: "encoder.self.0", row: 0, head: 0, mean: 1, std: 1, iqr: 1, n: 10, cluster: 1 },
      { site: "encoder.self.0", row: 0, head: 1, mean: null, std: null, iqr: null, n: 0, cluster: 0 },
    ]);
  });

  it("pattern shares are counts over the head's total; cluster leaves follow the order", () => {
    expect(patternShares(small(), 0)).toEqual([
      { head: 0, pattern: "previous", count: 3, share: 0.75 },
      { head: 0, pattern: "broad", count: 1, share: 0.25 },
    ]);
    expect(clusterLeaves(small()).map((l) => [l.label, l.cluster])).toEqual([
      ["encoder.self.0 h1", 0],
      ["encoder.self.0 h0", 1],
    ]);
  });

  it("examples carry the input's value of the chosen metric; inputCells its per-head values", () => {
    const ex = headExamples(small(), 0, 0, "entropy");
    expect(ex?.typical).toEqual([
      { index: 0, input: 7, text: "<img src=x onerror=alert(1)>", score: 0.06, value: 1.25 },
    ]);
    expect(headExamples(small(), 0, 0, "sink")?.typical[0].value).toBeNull();
    expect(inputCells(small(), 0, "entropy").map((c) => c.mean)).toEqual([1.25, null]);
  });
});
