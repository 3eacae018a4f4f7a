import { describe, expect, it } from "vitest";
import { AttnlensError } from "../../errors";
import type { AttentionResult, SiteAttention } from "../../result/types";
import { randomAttention } from "../../testing/syntheticMaps";
import { normWeighted } from "./normWeighted";

const dims: [number, number, number, number] = [1, 2, 3, 3];
const site: SiteAttention = {
  id: "encoder.self.0",
  stack: "encoder",
  kind: "self",
  layer: 0,
  heads: 2,
  causal: false,
  node: "n",
  dims,
  data: randomAttention({ dims, seed: 4 }),
};
const norms = Float32Array.of(1, 2, 4, 0.5, 0.5, 3);
const result: AttentionResult = {
  sites: [site],
  provider: "cpu",
  fallbacks: [],
  masks: {},
  outputs: {},
  valueNorms: [{ site: site.id, kind: "transformed", dims: [1, 2, 3], data: norms }],
};

function errorOf(f: () => unknown): AttnlensError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AttnlensError);
    return e as AttnlensError;
  }
  throw new Error("no error");
}

describe("normWeighted", () => {
  it("multiplies α_ij by ‖f(x_j)‖ of the head, then renormalizes each row", () => {
    const raw = normWeighted(result, { normalize: false }).sites[0].data;
    const rows = normWeighted(result).sites[0].data;
    for (let h = 0; h < 2; h++)
      for (let i = 0; i < 3; i++) {
        const want = [0, 1, 2].map((j) => site.data[(h * 3 + i) * 3 + j] * norms[h * 3 + j]);
        const sum = want[0] + want[1] + want[2];
        want.forEach((v, j) => {
          expect(raw[(h * 3 + i) * 3 + j]).toBeCloseTo(v, 6);
          expect(rows[(h * 3 + i) * 3 + j]).toBeCloseTo(v / sum, 6);
        });
      }
    expect(site.data).toEqual(randomAttention({ dims, seed: 4 })); // the input is left alone
  });

  it("says how to get the norms when the result has none", () => {
    const e = errorOf(() => normWeighted({ ...result, valueNorms: undefined }));
    expect(e.code).toBe("BAD_INPUT");
    expect(e.message).toMatch(/^normWeighted needs the value norms: open the model with .*valueNorms: true/);
  });

  it("gives the surgery's reason when the model was opened with valueNorms but a site has none", () => {
    const reason = "the values have rank unknown, not [batch, heads, source, head size]";
    const opened = { ...result, valueNorms: [], valueNormsMissing: [{ site: site.id, reason }] };
    const e = errorOf(() => normWeighted(opened));
    expect(e.code).toBe("BAD_INPUT");
    expect(e.message).toBe(
      `normWeighted: no value norms for site(s) ${site.id} (${reason}): their value vectors were not found in ` +
        "this graph, so norm-based attention is not available for them (the attention weights are)",
    );
  });

  it("names sites without norms and norms of the wrong shape", () => {
    const other = { ...site, id: "encoder.self.1", layer: 1 };
    expect(errorOf(() => normWeighted({ ...result, sites: [site, other] })).message).toMatch(
      /^normWeighted: no value norms for site\(s\) encoder\.self\.1/,
    );
    const bad = {
      ...result,
      valueNorms: [
        {
          site: site.id,
          kind: "value" as const,
          dims: [1, 2, 4] as [number, number, number],
          data: new Float32Array(8),
        },
      ],
    };
    expect(errorOf(() => normWeighted(bad)).message).toMatch(
      /value norms \[1, 2, 4\] \(batch, heads, source must match\)/,
    );
  });
});
