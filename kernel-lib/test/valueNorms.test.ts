/**
 * Norm-based attention's value norms (graph/surgery/valueNorms.ts) against an independent numpy
 * reference on the torch-exported fixtures: Python adds the value projection's output
 * (x·W_V + b_V, before the head split; for GPT-2 the V third of the fused c_attn) as a graph
 * output by its torch module name, runs onnxruntime, splits heads itself and computes
 * ‖(x_j W_V + b_V)_h · W_O[h·d:(h+1)·d, :]‖ with W_O read from the initializers of the output
 * projection named by torch (Kobayashi et al. 2020). Covers MatMul + bias (BERT), fused QKV by
 * Gemm + Split (GPT-2), rank-3 [B·H, S, d] values and cross attention (BART). Then fused
 * com.microsoft Attention graphs against their unfused twins, the ‖v_j‖ fallback on a fused op
 * without an output projection, and normWeighted on a real run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyzeResult, loadModel, normWeighted, openModel } from "../src";
import { encodePayload } from "../src/output/payload/encode";
import { FIXTURES, loadFixture } from "./fixtureFiles";
import { attentionCases } from "./fusedCases";
import { D, weight } from "./fusedGraphs";
import { bart, bert, gpt2, numpyNorms, type RefSite } from "./valueNormReference";

const CASES: [string, RefSite[]][] = [
  ["bert_like", [bert(0), bert(1)]],
  ["gpt2_like", [gpt2(0), gpt2(1)]],
  [
    "bart_like",
    [
      bart("encoder", "self_attn", 0),
      bart("encoder", "self_attn", 1),
      bart("decoder", "self_attn", 0),
      bart("decoder", "encoder_attn", 0),
      bart("decoder", "self_attn", 1),
      bart("decoder", "encoder_attn", 1),
    ],
  ],
];

const tmp = mkdtempSync(path.join(os.tmpdir(), "attnlens-norms-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.each(CASES)("value norms of %s", (name, refSites) => {
  it("equal ‖(x W_V + b_V) W_O^h‖ from numpy within 1e-5", async () => {
    const fx = loadFixture(name);
    const model = await openModel(fx.modelPath, { providers: ["cpu"], valueNorms: true });
    const result = await model.run(fx.feeds);
    await model.release();
    const norms = result.valueNorms ?? [];
    expect(norms.map((n) => n.site)).toEqual(result.sites.map((s) => s.id));
    const ref = numpyNorms(
      fx,
      refSites,
      norms.map((n) => n.dims),
      tmp,
    );
    norms.forEach((n, i) => {
      expect(n.kind).toBe("transformed");
      expect(n.dims.slice(0, 2)).toEqual(result.sites[i].dims.slice(0, 2));
      expect(n.dims[2]).toBe(result.sites[i].dims[3]);
      let maxDiff = 0;
      ref[i].forEach((v, k) => {
        maxDiff = Math.max(maxDiff, Math.abs(n.data[k] - v));
      });
      expect(maxDiff, `${n.site} max |Δ|`).toBeLessThanOrEqual(1e-5);
    });
  });
});

describe("value norms beside in-graph metrics", () => {
  it("are the same when the metric subgraphs are appended too, and measure() still works", async () => {
    const fx = loadFixture("bert_like");
    const alone = await openModel(fx.modelPath, { providers: ["cpu"], valueNorms: true });
    const both = await openModel(fx.modelPath, { providers: ["cpu"], valueNorms: true, inGraphMetrics: true });
    const a = (await alone.run(fx.feeds)).valueNorms ?? [];
    const b = (await both.run(fx.feeds)).valueNorms ?? [];
    expect((await both.measure(fx.feeds)).sites.length).toBe(2);
    await alone.release();
    await both.release();
    expect(b.length).toBe(2);
    b.forEach((n, i) => expect(n.data).toEqual(a[i].data));
  });
});

describe("value norms of fused attention", () => {
  it.each([
    ["bert", "fused_bert"],
    ["gpt2", "fused_gpt2"],
  ])("%s and %s (com.microsoft Attention, same weights) give the same norms", async (plain, fused) => {
    const norms = [];
    for (const dir of [plain, fused]) {
      const model = await loadModel(path.join(FIXTURES, "real", dir), { providers: ["cpu"], valueNorms: true });
      norms.push((await model.run("the cat sat on the mat")).valueNorms ?? []);
      await model.release();
    }
    expect(norms[1].map((n) => n.kind)).toEqual(["transformed", "transformed"]);
    norms[0].forEach((n, i) => {
      expect(norms[1][i].dims).toEqual(n.dims);
      n.data.forEach((v, k) => expect(Math.abs(norms[1][i].data[k] - v)).toBeLessThan(1e-5));
    });
  });
});

describe("value norms without an output projection", () => {
  it("fall back to ‖v_j‖ and say so (com.microsoft Attention, decomposed)", async () => {
    const c = attentionCases()[0];
    const model = await openModel(c.model, { providers: ["cpu"], valueNorms: true });
    const result = await model.run(c.feeds);
    await model.release();
    const [n] = result.valueNorms ?? [];
    expect(n.kind).toBe("value");
    expect(n.note).toMatch(/^‖v_j‖ only: no output projection/);
    // Independent: V = x·W[:, 2D:3D] + b[2D:3D], split into 4 heads of 8, each row's length.
    const x = c.feeds.x.data as Float32Array;
    // The case's own initializers, remade from their seeds (fusedCases.ts: w seed 2, b seed 3).
    const w = weight("w", 2, [D, 3 * D]).data as Float32Array;
    const b = weight("b", 3, [3 * D], 0.1).data as Float32Array;
    const [B, H, S] = n.dims;
    for (let bb = 0; bb < B; bb++)
      for (let s = 0; s < S; s++)
        for (let h = 0; h < H; h++) {
          let sq = 0;
          for (let k = 0; k < D / H; k++) {
            const col = 2 * D + h * (D / H) + k;
            let v = b[col];
            for (let i = 0; i < D; i++) v += x[(bb * S + s) * D + i] * w[i * 3 * D + col];
            sq += v * v;
          }
          expect(n.data[(bb * H + h) * S + s]).toBeCloseTo(Math.sqrt(sq), 4);
        }
  });
});

describe("normWeighted on a real run", () => {
  it("gives α_ij‖f(x_j)‖ rows, normalized, that analyzeResult takes", async () => {
    const fx = loadFixture("bert_like");
    const model = await openModel(fx.modelPath, { providers: ["cpu"], valueNorms: true });
    const result = await model.run(fx.feeds);
    await model.release();
    const raw = normWeighted(result, { normalize: false });
    const rows = normWeighted(result);
    const site = result.sites[1];
    const [, H, T, S] = site.dims;
    const norms = (result.valueNorms ?? [])[1];
    for (const [b, h, t] of [
      [0, 0, 0],
      [1, 3, 5],
    ]) {
      const at = (k: number) => ((b * H + h) * T + t) * S + k;
      let sum = 0;
      for (let j = 0; j < S; j++) {
        const want = site.data[at(j)] * norms.data[(b * H + h) * S + j];
        expect(raw.sites[1].data[at(j)]).toBeCloseTo(want, 6);
        sum += want;
      }
      for (let j = 0; j < S; j++) expect(rows.sites[1].data[at(j)]).toBeCloseTo(raw.sites[1].data[at(j)] / sum, 6);
    }
    const analysis = analyzeResult(rows);
    expect(analysis.sites.length).toBe(2);
    expect(analyzeResult(result, { weighting: "norm" })).toEqual(analysis);
    expect(analyzeResult(result, { weighting: "norm" })).not.toEqual(analyzeResult(result));
    // Views take it as any result: the payload carries the weighted maps and their metrics.
    const payload = encodePayload(rows);
    expect(payload.sites.length).toBe(2);
  });
});
