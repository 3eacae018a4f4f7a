/**
 * Decoders with a key/value cache (refmodels/cases/cached.py): optimum's with-past export and the
 * merged decoder (If on use_cache_branch), GPT-2 and Llama (GQA). Against transformers' own eager
 * attentions: a prefix with an empty cache, a cached step (S > T), and greedy generation with the
 * cache, whose per-step maps are stitched into one causal map.
 */
import * as path from "node:path";
import type * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { AttnlensError } from "../../kernel-lib/src/errors";
import { loadModel } from "../../kernel-lib/src/load/loadModel";
import { encodePayload } from "../../kernel-lib/src/output/payload/encode";
import type { AttentionModel } from "../../kernel-lib/src/run/attentionModel";
import { SingleFileEngine } from "../../kernel-lib/src/run/engine";
import { greedyCausal } from "../../kernel-lib/src/run/generate/greedy";
import { openModel } from "../../kernel-lib/src/run/openModel";
import { siteMatrix } from "../../widgets/src/data/matrix";
import { decodePayload } from "../../widgets/src/payload/validate";
import { maxDiffOnQueries, onnxPath, type RefCase, type RefSite, refCase, refFeeds, refMap } from "./refModels";

const CASES = ["gpt2-kv", "llama-kv", "gpt2-merged", "llama-merged"];

interface GenerateRef {
  prompt: number[];
  generated: number[];
  eos: number[];
  step_shapes: number[][];
  maps: RefSite[];
}

async function open(c: RefCase): Promise<{ file: string; model: AttentionModel }> {
  const file = Object.keys(c.expected_sites)[0];
  return { file, model: await openModel(onnxPath(c, file), { providers: ["cpu"] }) };
}

describe.each(CASES)("KV cache %s", (name) => {
  it("reads the prefix (S = T) and the cached step (S > T) as transformers computes them", async () => {
    const c = refCase(name);
    const { file, model } = await open(c);
    expect(model.sites.map((s) => s.id)).toEqual(c.expected_sites[file]);
    for (const run of c.runs) {
      const result = await model.run(refFeeds(c, run, file));
      for (const [i, want] of run.sites[file].entries()) {
        const got = result.sites[i];
        expect(got.id).toBe(want.id);
        expect(got.dims).toEqual(want.shape);
        expect(maxDiffOnQueries(got.data, refMap(c, want), got.dims), `${run.name} ${want.id}`).toBeLessThanOrEqual(
          1e-4,
        );
        expect(got.causal, `${run.name} ${want.id} causal`).toBe(true);
      }
    }
    const cached = c.runs.find((r) => r.name === "cached");
    const [, , t, s] = cached?.sites[file][0].shape ?? [];
    expect(s - t).toBe(cached?.extra.past_length);
  });

  it("generates with the cache: transformers' ids, one new token per step, stitched maps equal its step maps", async () => {
    const c = refCase(name);
    const ref = c.runs[0].extra.generate as GenerateRef;
    const { model } = await open(c);
    const seen = inputIdShapes(model);
    const engine = new SingleFileEngine(model, "decoder", name);
    const g = await greedyCausal(engine, ref.prompt, { maxNewTokens: ref.generated.length, eos: new Set(ref.eos) });
    expect(g.generated).toEqual(ref.generated);
    // Step 0 runs the prompt; every later step only the token chosen before it.
    expect(seen).toEqual([[1, ref.prompt.length], ...ref.generated.slice(1).map(() => [1, 1])]);
    for (const [i, want] of ref.maps.entries()) {
      const got = g.result.sites[i];
      expect(got.id).toBe(want.id);
      expect(got.dims).toEqual(want.shape);
      expect(maxDiffOnQueries(got.data, refMap(c, want), got.dims), want.id).toBeLessThanOrEqual(1e-4);
    }
  });
});

/** Records the input_ids shape of every run the model is given (what the session is fed per step). */
function inputIdShapes(model: AttentionModel): number[][] {
  const seen: number[][] = [];
  const run = model.run.bind(model);
  model.run = (feeds: Record<string, ort.Tensor>, o) => {
    seen.push([...feeds.input_ids.dims]);
    return run(feeds, o);
  };
  return seen;
}

describe("KV cache: transformers.js's decoder-only layout", () => {
  it("a folder holding decoder_model_merged.onnx loads as a decoder whose sites are labelled once", async () => {
    const c = refCase("gpt2-merged");
    const model = await loadModel(path.join(c.dir, "onnx"), { providers: ["cpu"] });
    expect(model.family).toBe("decoder");
    expect(model.sites.map((s) => s.id)).toEqual(["decoder.self.0", "decoder.self.1"]);
    expect(model.inputs.map((i) => i.name)).toContain("use_cache_branch");
    await model.release();
  });
});

describe("KV cache in the views", () => {
  it("a cached step is shown: rows = the new tokens, columns = every position so far, weights as read", async () => {
    const c = refCase("llama-kv");
    const { file, model } = await open(c);
    const run = c.runs.find((r) => r.name === "cached")!;
    const result = await model.run(refFeeds(c, run, file));
    const payload = decodePayload(JSON.parse(JSON.stringify(encodePayload(result, { quantization: "float16" }))));
    const [B, H, T, S] = result.sites[1].dims;
    const site = payload.sites[1];
    expect(site.rowOffset).toBe(S - T);
    const m = siteMatrix(payload, {
      sample: B - 1,
      type: "decoder.self",
      layer: 1,
      head: H - 1,
      hideSpecial: false,
      metric: "entropy",
    });
    expect([m.R, m.C]).toEqual([T, S]);
    expect(m.rows.positions).toEqual([6, 7, 8]);
    expect(m.cols.positions).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const want = refMap(c, run.sites[file][1]).subarray(((B - 1) * H + H - 1) * T * S, B * H * T * S);
    for (let i = 0; i < want.length; i++) expect(Math.abs(m.values[i] - want[i])).toBeLessThanOrEqual(1e-3);
  });
});

describe("KV cache without the cache", () => {
  it("re-running the prefix each step gives the same ids and maps, one longer feed per step", async () => {
    const c = refCase("llama-kv");
    const ref = c.runs[0].extra.generate as GenerateRef;
    const { model } = await open(c);
    const seen = inputIdShapes(model);
    const engine = new SingleFileEngine(model, "decoder", "llama-kv");
    const o = { maxNewTokens: ref.generated.length, eos: new Set(ref.eos), cache: false };
    const g = await greedyCausal(engine, ref.prompt, o);
    expect(g.generated).toEqual(ref.generated);
    expect(seen.map((d) => d[1])).toEqual(ref.generated.map((_, k) => ref.prompt.length + k));
    for (const [i, want] of ref.maps.entries())
      expect(maxDiffOnQueries(g.result.sites[i].data, refMap(c, want), want.shape)).toBeLessThanOrEqual(1e-4);
  });
});

describe("KV cache: past feeds that do not fit", () => {
  const cachedFeeds = (c: RefCase, file: string) => refFeeds(c, c.runs.find((r) => r.name === "cached")!, file);
  const shorter = (t: ort.Tensor, drop: number, heads?: number) => {
    const [b, h, l, d] = t.dims;
    const H = heads ?? h;
    const L = l - drop;
    const data = new Float32Array(b * H * L * d);
    return new (t.constructor as typeof ort.Tensor)("float32", data, [b, H, L, d]);
  };

  it("a layer's past of another length is one error naming it and what to feed", async () => {
    const c = refCase("gpt2-kv");
    const { file, model } = await open(c);
    const feeds = cachedFeeds(c, file);
    feeds["past_key_values.1.value"] = shorter(feeds["past_key_values.1.value"], 1);
    const e = await model.run(feeds).catch((x) => x);
    expect(e).toBeInstanceOf(AttnlensError);
    expect(e.code).toBe("BAD_FEEDS");
    expect(e.message).toMatch(/past_key_values\.1\.value holds 5 past positions but past_key_values\.0\.key holds 6/);
    expect(e.message).toMatch(/present\.N\.key\/value/);
  });

  it("a past with the query heads instead of the key/value heads (GQA) is one error", async () => {
    const c = refCase("llama-kv");
    const { file, model } = await open(c);
    const feeds = cachedFeeds(c, file);
    feeds["past_key_values.0.key"] = shorter(feeds["past_key_values.0.key"], 0, 4);
    const e = await model.run(feeds).catch((x) => x);
    expect(e.code).toBe("BAD_FEEDS");
    expect(e.message).toMatch(/past_key_values\.0\.key has 4 heads but the model's cache has 2 \(key\/value heads\)/);
  });

  it("a merged decoder fed a past with use_cache_branch off is one error (its no-past branch would ignore it)", async () => {
    const c = refCase("gpt2-merged");
    const { file, model } = await open(c);
    const feeds = cachedFeeds(c, file);
    feeds.use_cache_branch = new (feeds.input_ids.constructor as typeof ort.Tensor)("bool", Uint8Array.of(0), [1]);
    const e = await model.run(feeds).catch((x) => x);
    expect(e.code).toBe("BAD_FEEDS");
    expect(e.message).toMatch(/use_cache_branch is false but the past holds 6 positions/);
  });

  it("an attention mask that does not cover past + new positions is one error", async () => {
    const c = refCase("gpt2-kv");
    const { file, model } = await open(c);
    const feeds = cachedFeeds(c, file);
    feeds["past_key_values.0.key"] = shorter(feeds["past_key_values.0.key"], 2);
    feeds["past_key_values.0.value"] = shorter(feeds["past_key_values.0.value"], 2);
    feeds["past_key_values.1.key"] = shorter(feeds["past_key_values.1.key"], 2);
    feeds["past_key_values.1.value"] = shorter(feeds["past_key_values.1.value"], 2);
    const e = await model.run(feeds).catch((x) => x);
    expect(e.code).toBe("BAD_FEEDS");
    expect(e.message).toMatch(/attention_mask covers 9 positions but the past holds 4 and input_ids 3 \(7\)/);
  });
});
