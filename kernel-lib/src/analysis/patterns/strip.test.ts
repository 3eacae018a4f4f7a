import { describe, expect, it } from "vitest";
import type { AttentionResult, TokenInfo } from "../../result/types";
import { designedSite } from "../../testing/syntheticMaps";
import { headPatterns } from "./headPatterns";

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
