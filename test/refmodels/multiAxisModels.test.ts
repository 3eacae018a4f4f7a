/**
 * Models whose sites do not all share the text's feeds. CLIP's optimum export runs the vision and
 * the text tower in one graph, every site named encoder.self.N: the text's attention_mask and
 * input_ids describe the text sites only, so one run of both towers is analysed with each
 * tower's own positions (checked against transformers' maps and the mask as fed), and the views
 * and rollout, which need one length, say how to take one tower at a time. An optimum decoder
 * file run alone has cross sites but no encoder sites: rollout says what to do. Swin's per-window
 * maps change shape from stage to stage: the in-graph metrics still run, without a rollout.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeResult } from "../../kernel-lib/src/analysis/metrics/analyze";
import { rollout } from "../../kernel-lib/src/analysis/metrics/rollout";
import { measureSource } from "../../kernel-lib/src/analysis/metrics/scale/measure";
import { metricsAgreement } from "../../kernel-lib/src/graph/ingraph/agreement";
import { readExtraction, writeExtraction } from "../../kernel-lib/src/output/files/extractionDir";
import { encodePayload } from "../../kernel-lib/src/output/payload/encode";
import type { AttentionResult } from "../../kernel-lib/src/result/types";
import type { AttentionModel } from "../../kernel-lib/src/run/attentionModel";
import { openModel } from "../../kernel-lib/src/run/openModel";
import { onnxPath, refCase, refFeeds, refMap } from "./refModels";

describe("CLIP: both towers in one run", () => {
  const c = refCase("clip");
  const run = c.runs[0];
  const towers = run.extra.towers as Record<string, "vision" | "text">;
  const feeds = refFeeds(c, run, "model.onnx");
  const textMask = Array.from(feeds.attention_mask.data as BigInt64Array, Number);
  let model: AttentionModel;
  let result: AttentionResult;

  beforeAll(async () => {
    model = await openModel(onnxPath(c, "model.onnx"), { providers: ["cpu"] });
    result = await model.run(feeds);
  });
  afterAll(async () => {
    await model?.release();
  });

  it("discovery traces each site's query inputs: pixel_values alone for the vision tower", () => {
    expect(Object.keys(towers).sort()).toEqual(model.sites.map((s) => s.id).sort());
    for (const site of [...model.sites, ...result.sites]) {
      if (towers[site.id] === "vision") expect(site.inputs, site.id).toEqual(["pixel_values"]);
      else {
        expect(site.inputs, site.id).toContain("input_ids");
        expect(site.inputs, site.id).not.toContain("pixel_values");
      }
    }
  });

  it("analyzeResult: vision rows see every patch, text rows their unpadded prefix; entropies as transformers' maps give", () => {
    const analysis = analyzeResult(result);
    let textPadding = 0;
    for (const [k, site] of result.sites.entries()) {
      const [B, H, T, S] = site.dims;
      const rows = analysis.sites[k].rows;
      const want = refMap(c, run.sites["model.onnx"][k]);
      const vision = towers[site.id] === "vision";
      expect(site.causal, site.id).toBe(!vision); // CLIP's text encoder is causal
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < T; i++) {
          const valid = vision || textMask[b * T + i] === 1;
          const visible = vision ? S : textMask.slice(b * T, b * T + i + 1).reduce((n, v) => n + v, 0);
          if (!valid) textPadding++;
          expect(rows.sources[b * T + i], `${site.id} sample ${b} row ${i}`).toBe(valid ? visible : 0);
          for (let h = 0; h < H; h++) {
            const r = (b * H + h) * T + i;
            if (!valid) {
              expect(rows.entropy[r]).toBeNaN();
              continue;
            }
            let entropy = 0;
            for (let j = 0; j < S; j++) {
              const p = want[r * S + j];
              if (p > 0) entropy -= p * Math.log(p);
            }
            expect(Math.abs(rows.entropy[r] - entropy), `${site.id} row ${r}`).toBeLessThan(1e-5);
          }
        }
      }
    }
    expect(textPadding).toBe(2 * 2); // sample 1's two padded positions, in both text layers
  });

  it("an extraction directory keeps each site's inputs: the same analysis read back", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "attnlens-clip-"));
    try {
      writeExtraction(dir, result);
      const back = readExtraction(dir).result;
      expect(back.sites.map((s) => s.inputs)).toEqual(result.sites.map((s) => s.inputs));
      const want = analyzeResult(result);
      analyzeResult(back).sites.forEach((site, k) => {
        expect(Array.from(site.rows.sources)).toEqual(Array.from(want.sites[k].rows.sources));
        expect(site.heads.map((h) => h.entropy)).toEqual(want.sites[k].heads.map((h) => h.entropy));
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("in-graph metrics and streamed lazy metrics take the same positions as analyzeResult", async () => {
    const full = analyzeResult(result);
    const inGraph = await openModel(onnxPath(c, "model.onnx"), { providers: ["cpu"], inGraphMetrics: true });
    const lazy = await openModel(onnxPath(c, "model.onnx"), { providers: ["cpu"], maps: "lazy" });
    try {
      const measured = await inGraph.measure(feeds);
      const agreement = metricsAgreement(measured, full);
      expect(agreement.mismatches).toEqual([]);
      expect(agreement.maxDiff).toBeLessThan(1e-5);
      // no rollout of a stack that holds two towers (the host's rollout asks for one tower's layers)
      await expect(inGraph.measure(feeds, { rollout: true })).rejects.toThrow(/two towers in one stack/);
      const held = await lazy.runLazy(feeds);
      const streamed = await measureSource(held, held);
      for (const [k, site] of streamed.sites.entries()) {
        expect(Array.from(site.rows.sources), site.site.id).toEqual(Array.from(full.sites[k].rows.sources));
        site.rows.entropy.forEach((v, r) => {
          const w = full.sites[k].rows.entropy[r];
          if (Number.isNaN(w)) expect(v).toBeNaN();
          else expect(Math.abs(v - w)).toBeLessThan(1e-5);
        });
      }
    } finally {
      await inGraph.release();
      await lazy.release();
    }
  });

  it("rollout and the views need one length: their messages say how to take one tower", () => {
    expect(() => rollout(result)).toThrow(/fromLayer \/ toLayer/);
    expect(rollout(result, { fromLayer: 0, toLayer: 1 }).dims).toEqual([2, 17, 17]);
    const text = rollout(result, { fromLayer: 2, toLayer: 3 });
    expect(text.dims).toEqual([2, 7, 7]);
    // causal and padded: the padded sample's last real token draws nothing from its padding
    expect(text.data[(1 * 7 + 4) * 7 + 5]).toBe(0);
    expect(() => encodePayload(result)).toThrow(/model\.run\(feeds, \{ sites: \[\.\.\.\] \}\)/);
    const vision = result.sites.filter((s) => towers[s.id] === "vision");
    expect(encodePayload({ ...result, sites: vision }).sites.map((s) => s.id)).toEqual(vision.map((s) => s.id));
  });
});

describe("rollout on an optimum decoder file run alone (cross sites, no encoder sites)", () => {
  const c = refCase("bart");
  const run = c.runs[0];
  let model: AttentionModel;
  let result: AttentionResult;

  beforeAll(async () => {
    model = await openModel(onnxPath(c, "decoder_model.onnx"), { providers: ["cpu"] });
    result = await model.run(refFeeds(c, run, "decoder_model.onnx"));
  });
  afterAll(async () => {
    await model?.release();
  });

  it("says to open the folder or to roll out the self layers alone, and the latter works", () => {
    expect(result.sites.some((s) => s.kind === "cross")).toBe(true);
    expect(() => rollout(result)).toThrow(/no encoder sites .*loadModel/);
    const selfOnly = rollout({ ...result, sites: result.sites.filter((s) => s.kind === "self") });
    expect(selfOnly.stack).toBe("decoder");
    expect(selfOnly.layers).toEqual([0, 1]);
  });
});

describe("Swin: in-graph metrics on per-window maps whose shapes change by stage", () => {
  const c = refCase("swin");
  const run = c.runs[0];
  const feeds = refFeeds(c, run, "model.onnx");

  it("measures every site as analyzeResult does, and refuses the rollout of stages that do not chain", async () => {
    const plain = await openModel(onnxPath(c, "model.onnx"), { providers: ["cpu"] });
    const inGraph = await openModel(onnxPath(c, "model.onnx"), { providers: ["cpu"], inGraphMetrics: true });
    try {
      const result = await plain.run(feeds);
      const shapes = new Set(result.sites.map((s) => `${s.dims[0]}x${s.dims[2]}x${s.dims[3]}`));
      expect(shapes.size).toBeGreaterThan(1); // batch·windows changes from stage to stage
      // onnxruntime runs every node: a rollout MatMul over unequal shapes used to fail every measure()
      const agreement = metricsAgreement(await inGraph.measure(feeds), analyzeResult(result));
      expect(agreement.mismatches).toEqual([]);
      expect(agreement.maxDiff).toBeLessThan(1e-5);
      await expect(inGraph.measure(feeds, { rollout: true })).rejects.toThrow(/different shapes.*fromLayer, toLayer/);
      expect(() => rollout(result)).toThrow(/fromLayer \/ toLayer/);
    } finally {
      await plain.release();
      await inGraph.release();
    }
  });
});
