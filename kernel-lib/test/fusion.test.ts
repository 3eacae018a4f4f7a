/**
 * Fused attention ops decomposed into standard ops: for every variant, the decomposed graph gives
 * onnxruntime's fused-kernel outputs (max |Δ| ≤ 1e-5), one attention site whose rows sum to 1.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { openModel } from "../src";
import { decomposeFusedAttention } from "../src/graph/fusion/decompose";
import { decodeModel } from "../src/graph/onnx/decode";
import { attentionCases, embedLayerNormCase, qAttentionCase } from "./fusedCases";
import { gqaCases, mhaCases } from "./fusedCasesMha";
import { onnxAttentionCases } from "./fusedCasesOnnx";
import type { FusedCase } from "./fusedGraphs";

const cases: FusedCase[] = [
  ...attentionCases(),
  embedLayerNormCase(),
  qAttentionCase(),
  ...mhaCases(),
  ...gqaCases(),
  ...onnxAttentionCases(),
];

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, keep: (k: number) => boolean = () => true): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) if (keep(k)) m = Math.max(m, Math.abs(a[k] - b[k]));
  return m;
}

describe.each(cases)("$name", (c) => {
  it("decomposes into standard ops, with onnxruntime's outputs and one site of probabilities", async () => {
    const decomposition = decomposeFusedAttention(decodeModel(c.model));
    expect(decomposition.unexposable).toEqual([]);
    expect(decomposition.decomposed.length).toBe(1);

    const fused = await ort.InferenceSession.create(c.reference ?? c.model, { logSeverityLevel: 3 });
    const want = await fused.run(c.feeds);
    const model = await openModel(c.model, { providers: ["cpu"] });
    expect(model.sites.length).toBe(1);
    const got = await model.run(c.feeds);
    for (const name of fused.outputNames) {
      const w = want[name] as ort.Tensor;
      const g = name === c.probsOutput ? got.sites[0] : got.outputs[name];
      expect(g.dims, name).toEqual([...w.dims]);
      // Padded query rows of a GQA prompt are undefined in the fused kernel: compare valid rows only.
      const [bb, ss] = w.dims;
      const row = w.dims.length === 3 ? (k: number) => Math.floor(k / w.dims[2]) : () => -1;
      const keep = (k: number) => !c.validRows || row(k) < 0 || c.validRows(Math.floor(row(k) / ss), row(k) % ss);
      expect(
        maxDiff(g.data as Float32Array, w.data as Float32Array, keep),
        `${name} max |Δ| (batch ${bb})`,
      ).toBeLessThanOrEqual(1e-5);
    }
    const site = got.sites[0];
    const [b, h, t, s] = site.dims;
    for (let m = 0; m < b * h; m++) {
      for (let i = 0; i < t; i++) {
        if (c.validRows && !c.validRows(Math.floor(m / h), i)) continue;
        const row = site.data.subarray((m * t + i) * s, (m * t + i + 1) * s);
        expect(Math.abs(row.reduce((x, y) => x + y, 0) - 1)).toBeLessThan(1e-5);
      }
    }
    await model.release();
    await fused.release();
  });
});
