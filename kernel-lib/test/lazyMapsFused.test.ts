/**
 * Lazy maps on every fused-op variant (fusedCases*.ts): the lazy graph keeps the fused node and
 * has no Softmax (onnxruntime's kernel computes the outputs, no map is materialized), its outputs
 * are the fused kernel's, and every lazy row equals the decomposed model's full run within 1e-5.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { openModel } from "../src";
import { fusedAttentionOp } from "../src/graph/fusion/fusedOps";
import { decodeModel } from "../src/graph/onnx/decode";
import { attentionGraph } from "../src/graph/surgery/attentionGraph";
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

describe.each(cases)("lazy $name", (c) => {
  it("keeps the fused node, outputs no map, and replays rows equal to the full run", async () => {
    const graph = attentionGraph(c.model, { maps: "lazy" });
    const nodes = decodeModel(graph.bytes).graph.nodes;
    // onnxruntime's CPU MultiHeadAttention has no packed QKV / packed KV kernel: those are decomposed, as in full mode.
    const packed = c.name.startsWith("MHA, packed");
    expect(nodes.filter((n) => n.opType === "Softmax").length).toBe(packed ? 1 : 0);
    expect(nodes.filter((n) => fusedAttentionOp(n)).length).toBe(packed ? 0 : 1);

    const full = await openModel(c.model, { providers: ["cpu"] });
    const lazy = await openModel(c.model, { providers: ["cpu"], maps: "lazy" });
    const fused = await ort.InferenceSession.create(c.reference ?? c.model, { logSeverityLevel: 3 });
    try {
      const want = await full.run(c.feeds);
      const got = await lazy.runLazy(c.feeds);
      const kernel = await fused.run(c.feeds);
      for (const name of Object.keys(got.outputs)) {
        const w = kernel[name] as ort.Tensor | undefined;
        if (!w) continue;
        // Padded query rows of a GQA prompt are undefined in the fused kernel: compare valid rows only.
        const [, ss, width] = w.dims;
        const g = got.outputs[name].data as Float32Array;
        let worst = 0;
        (w.data as Float32Array).forEach((v, k) => {
          const row = w.dims.length === 3 ? Math.floor(k / width) : -1;
          if (c.validRows && row >= 0 && !c.validRows(Math.floor(row / ss), row % ss)) return;
          worst = Math.max(worst, Math.abs(g[k] - v));
        });
        expect(worst, name).toBeLessThanOrEqual(1e-5);
      }
      const [site] = got.sites;
      expect(site.mode, site.reason).toBe("lazy");
      const ref = want.sites[0];
      expect(site.dims).toEqual(ref.dims);
      const [b, h, t, s] = site.dims;
      for (let bi = 0; bi < b; bi++) {
        const block = await got.rows(site.id, bi, [0, t]);
        for (let hi = 0; hi < h; hi++)
          for (let ti = 0; ti < t; ti++) {
            if (c.validRows && !c.validRows(bi, ti)) continue;
            for (let si = 0; si < s; si++) {
              const g = block.data[(hi * t + ti) * s + si];
              const w = ref.data[((bi * h + hi) * t + ti) * s + si];
              expect(Math.abs(g - w), `${bi},${hi},${ti},${si}`).toBeLessThanOrEqual(1e-5);
            }
          }
      }
      await got.release();
    } finally {
      await full.release();
      await lazy.release();
      await fused.release();
    }
  });
});
