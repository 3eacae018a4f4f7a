import { describe, expect, it } from "vitest";
import type { AttentionResult, TokenInfo } from "../../result/types";
import { designedSite } from "../../testing/syntheticMaps";
import { seededRandom } from "../../util/random";
import type { SampleGeometry } from "../metrics/geometry";
import { headPatterns } from "./headPatterns";
import { stripCandidates } from "./strip";
import { STRIP_ARGMAX_ROWS, STRIP_MAX } from "./thresholds";

describe("vertical strips", () => {
  it("finds a two-column strip on [CLS] and [SEP] in the middle of the text", () => {
    const text = ["[CLS]", "a", "b", "c", "d", "[SEP]", "e", "f", "g", "h", "i", "j"];
    const tokens: TokenInfo[] = text.map((t, id) => ({ text: t, id, word: id, special: t.startsWith("[") }));
    const { site } = designedSite("uniform", { lengths: [12] });
    const n = 12;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) site.data[i * n + j] = 0.1 / n + (j === 0 || j === 5 ? 0.45 : 0);
    }
    const result: AttentionResult = {
      sites: [site],
      provider: "cpu",
      fallbacks: [],
      masks: {},
      tokens: { source: [tokens] },
    };
    const [p] = headPatterns(result, site, { segments: { encoder: [new Int32Array(n)] } });
    expect(p.label).toBe("vertical");
    expect(p.strip).toEqual([[0, 5]]);
    expect(p.scores.vertical).toBeCloseTo(0.9, 5);
  });

  it("labels a head that spreads evenly as broad, with no strip", () => {
    const { site } = designedSite("uniform", { lengths: [30], noise: 0 });
    const [p] = headPatterns({ sites: [site], provider: "cpu", fallbacks: [], masks: {} }, site);
    expect(p.label).toBe("broad");
    expect(p.confidence).toBeCloseTo(1, 5);
    expect(p.scores.vertical ?? 0).toBeCloseTo(0, 5);
    expect(p.strip).toEqual([[]]);
  });
});

describe("strip candidates", () => {
  // What stripCandidates gave before it sorted in place: the 2·STRIP_MAX most frequent argmax
  // columns (count down, then column up) and the fixed candidates, as a sorted set.
  function reference(argmax: Int32Array, g: SampleGeometry, known: number[]): number[] {
    const least = Math.max(2, Math.ceil(STRIP_ARGMAX_ROWS * g.validTargets));
    const counts = new Map<number, number>();
    for (const j of argmax) if (j >= 0) counts.set(j, (counts.get(j) ?? 0) + 1);
    const frequent = [...counts].filter(([, n]) => n >= least).map(([j]) => j);
    if (frequent.length === 0) return known;
    frequent.sort((x, y) => (counts.get(y) ?? 0) - (counts.get(x) ?? 0) || x - y);
    return [...new Set([...frequent.slice(0, 2 * STRIP_MAX), ...known])].sort((x, y) => x - y);
  }

  it("are the most frequent argmax columns and the fixed ones, ascending, on random heads", () => {
    const rand = seededRandom(7);
    const S = 40;
    const counts = new Int32Array(S);
    for (let trial = 0; trial < 300; trial++) {
      const T = 1 + Math.floor(rand() * S);
      // A few favourite columns, so that some heads have many frequent ones and ties.
      const favourites = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => Math.floor(rand() * S));
      const argmax = Int32Array.from({ length: T }, () =>
        rand() < 0.1 ? -1 : rand() < 0.7 ? favourites[Math.floor(rand() * favourites.length)] : Math.floor(rand() * S),
      );
      const validTargets = argmax.filter((j) => j >= 0).length;
      const known = [...new Set(Array.from({ length: Math.floor(rand() * 4) }, () => Math.floor(rand() * S)))].sort(
        (x, y) => x - y,
      );
      const g = { validTargets, firstSource: known[0] ?? -1, special: null } as unknown as SampleGeometry;
      expect(stripCandidates(argmax, g, counts, 0, T, known), `trial ${trial}`).toEqual(reference(argmax, g, known));
    }
  });
});
