import { describe, expect, it } from "vitest";
import type { AttentionResult } from "../../result/types";
import { designedSite, randomAttention } from "../../testing/syntheticMaps";
import { fuseHeads } from "./aggregate";
import { receivedMass } from "./receivedMass";

describe("received mass and min fusion", () => {
  it("sums each column over the valid rows", () => {
    const { site, mask } = designedSite(["uniform", "identity"], { lengths: [5, 3], length: 5, causal: true });
    site.causal = true;
    site.data.set(randomAttention({ dims: [2, 2, 5, 5], seed: 3, causal: true, lengths: [5, 3] }));
    const result: AttentionResult = { sites: [site], provider: "cpu", fallbacks: [], masks: { encoder: mask } };
    const got = receivedMass(result, site);
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < 2; h++)
        for (let j = 0; j < 5; j++) {
          let want = 0;
          for (let i = 0; i < (b === 0 ? 5 : 3); i++) want += site.data[((b * 2 + h) * 5 + i) * 5 + j];
          expect(got[(b * 2 + h) * 5 + j]).toBeCloseTo(want, 6);
        }
  });

  it("turns an all-zero min-fused row into uniform over the visible sources", () => {
    const { site } = designedSite(["identity", "previous"], { lengths: [4] });
    const fused = fuseHeads({ sites: [site], provider: "cpu", fallbacks: [], masks: {} }, site, { fusion: "min" });
    for (let j = 0; j < 4; j++) expect(fused.data[3 * 4 + j]).toBeCloseTo(0.25, 6);
    expect(fused.data[0]).toBeCloseTo(1, 6); // row 0: both heads attend to itself
  });
});
