/**
 * Whisper through loadModel: audio features in (a .npy file, nested arrays, a Float32Array with dims), the
 * encoder's positions labelled as frames with times, every site equal to transformers' map, greedy generation
 * equal to Python's; the feature shape attnlens expects equals what WhisperFeatureExtractor makes; wrong
 * shapes are one error naming the expected shape. The size guard sizes the encoder by its 50 positions, not
 * its 100 frames.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { AudioInput } from "../../kernel-lib/src/audio/audioInput";
import { AttnlensError } from "../../kernel-lib/src/errors";
import { loadModel } from "../../kernel-lib/src/load/loadModel";
import { decodeNpy } from "../../kernel-lib/src/output/files/npy";
import type { AttentionResult } from "../../kernel-lib/src/result/types";
import { openModel } from "../../kernel-lib/src/run/openModel";
import type { TextModel } from "../../kernel-lib/src/run/textModel";
import { maxDiffOnQueries, onnxPath, type RefCase, type RefRun, refCase, refFeeds, refMap } from "./refModels";

interface AudioExtra {
  targets: string[];
  target_tokens: string[][];
  feature_shape: number[];
  encoder_positions: number;
  hop_length: number;
  sampling_rate: number;
  greedy_ids: number[][];
  greedy_steps: number;
}

let c: RefCase;
let run: RefRun;
let extra: AudioExtra;
let model: TextModel;
let npyPath: string;

beforeAll(async () => {
  c = refCase("whisper");
  run = c.runs[0];
  extra = run.extra as unknown as AudioExtra;
  npyPath = path.join(c.dir, run.feeds["encoder_model.onnx"].input_features.npy as string);
  model = await loadModel(path.join(c.dir, "onnx"), { providers: ["cpu"] });
});

function expectMapsAsTransformers(
  result: AttentionResult,
  want = [...run.sites["encoder_model.onnx"], ...run.sites["decoder_model.onnx"]],
) {
  expect(result.sites.map((s) => s.id)).toEqual(want.map((s) => s.id));
  for (const [i, w] of want.entries()) {
    const got = result.sites[i];
    expect(got.dims).toEqual(w.shape);
    expect(maxDiffOnQueries(got.data, refMap(c, w), got.dims), w.id).toBeLessThanOrEqual(c.tolerance);
  }
}

async function errorOf(p: Promise<unknown>): Promise<AttnlensError> {
  const e = await p.then(
    () => null,
    (x) => x,
  );
  expect(e).toBeInstanceOf(AttnlensError);
  return e as AttnlensError;
}

describe("whisper through loadModel(dir).run({ input_features, target })", () => {
  it("expects the shape WhisperFeatureExtractor makes, with its frame duration", () => {
    const [, mel, frames] = extra.feature_shape;
    expect(model.info.audio).toEqual({
      input: "input_features",
      melBins: mel,
      frames,
      frameSeconds: extra.hop_length / extra.sampling_rate,
    });
  });

  it("from a .npy file: maps as transformers', source positions as 20 ms frames, target tokens as Python's", async () => {
    const result = await model.run({ input_features: npyPath, target: extra.targets });
    expectMapsAsTransformers(result);
    expect(result.tokens?.target?.map((r) => r.map((t) => t.text))).toEqual(extra.target_tokens);
    const source = result.tokens?.source ?? [];
    expect(source.map((r) => r.length)).toEqual([extra.encoder_positions, extra.encoder_positions]);
    // Each encoder position covers frames / positions feature frames of hop / rate seconds.
    const span = (extra.feature_shape[2] / extra.encoder_positions) * (extra.hop_length / extra.sampling_rate);
    for (const [p, t] of source[1].entries()) {
      expect(t.seconds?.[0]).toBeCloseTo(p * span, 9);
      expect(t.seconds?.[1]).toBeCloseTo((p + 1) * span, 9);
    }
    expect(source[0][3].text).toBe(`${(3 * span).toFixed(2)} s`);
    expect(result.masks.encoder?.dims).toEqual([2, extra.encoder_positions]);
  });

  it("nested arrays and a Float32Array with dims give the same maps as the file", async () => {
    const a = decodeNpy(readFileSync(npyPath));
    const [b, mel, frames] = a.shape;
    const nested = Array.from({ length: b }, (_, i) =>
      Array.from({ length: mel }, (_, m) =>
        Array.from(a.data.subarray((i * mel + m) * frames, (i * mel + m + 1) * frames)),
      ),
    );
    const fromFile = await model.run({ input_features: npyPath, target: extra.targets });
    for (const input of [
      { input_features: nested, target: extra.targets },
      { input_features: a.data, dims: a.shape, target: extra.targets },
    ] as AudioInput[]) {
      const r = await model.run(input);
      r.sites.forEach((s, i) => expect(s.data).toEqual(fromFile.sites[i].data));
    }
  });

  it("without a target it generates greedily, as Python's arg-max loop does", async () => {
    const result = await model.run({ input_features: npyPath }, { maxNewTokens: extra.greedy_steps });
    expect("generated" in result && result.generated.ids).toEqual(extra.greedy_ids);
    expect(result.tokens?.source?.[0].length).toBe(extra.encoder_positions);
  });

  it("generation stops at the decoder's max_target_positions instead of running past its position table", async () => {
    const positions = JSON.parse(readFileSync(path.join(c.dir, "onnx", "config.json"), "utf8")).max_target_positions;
    const result = await model.run({ input_features: npyPath }, { maxNewTokens: positions + 8 });
    if (!("generated" in result)) throw new Error("no generation");
    for (const [b, ids] of result.generated.ids.entries()) {
      // These random weights never say </s>: each clip runs until the decoder has read all its positions.
      expect(ids.length).toBe(positions);
      expect(ids.slice(0, extra.greedy_steps)).toEqual(extra.greedy_ids[b]);
    }
  });

  it("wrong features are one error naming the shape the model reads", async () => {
    const [, mel, frames] = extra.feature_shape;
    const expected = `[batch, ${mel}, ${frames}] (${frames} frames of 10 ms = 1 s)`;
    const long = await errorOf(model.run({ input_features: new Float32Array(mel * 3000), dims: [1, mel, 3000] }));
    expect(long.code).toBe("BAD_INPUT");
    expect(long.message).toContain(
      `input_features of shape ${expected}, but these features are [1, ${mel}, 3000] (3000 frames)`,
    );
    const fewMels = await errorOf(model.run({ input_features: new Float32Array(40 * frames), dims: [40, frames] }));
    expect(fewMels.message).toContain(`but these features are [40, ${frames}] (40 mel bins)`);
    const noDims = await errorOf(model.run({ input_features: new Float32Array(mel * frames) }));
    expect(noDims.message).toContain("needs its shape");
    const ragged = await errorOf(model.run({ input_features: [[1, 2], [3]] }));
    expect(ragged.message).toContain("input_features[1] has 1 entries where [2, 2] needs 2");
    const text = await errorOf(model.run("a small bird sings"));
    expect(text.message).toContain("reads audio features (input_features), not text");
    const oneTarget = await errorOf(model.run({ input_features: npyPath, target: ["only one"] }));
    expect(oneTarget.message).toContain("target has 1 texts but the features hold 2 clips");
  });

  it("the size guard counts the encoder's 50 positions, not its 100 frames", async () => {
    const [b, , frames] = extra.feature_shape;
    const positions = extra.encoder_positions;
    const heads = run.sites["encoder_model.onnx"][0].shape[1];
    const layers = run.sites["encoder_model.onnx"].length;
    const bytes = layers * b * heads * positions * positions * 4;
    // Between the true size and what the longest feed dim (the frames) would give.
    const limit = (bytes + layers * b * heads * frames * frames * 4) / 2;
    const encoder = await openModel(onnxPath(c, "encoder_model.onnx"), {
      providers: ["cpu"],
      maxAttentionBytes: limit,
    });
    const result = await encoder.run(refFeeds(c, run, "encoder_model.onnx"));
    expect(result.sites.reduce((n, s) => n + s.data.length * 4, 0)).toBe(bytes);
    const tight = await openModel(onnxPath(c, "encoder_model.onnx"), {
      providers: ["cpu"],
      maxAttentionBytes: bytes - 1,
    });
    expect((await errorOf(tight.run(refFeeds(c, run, "encoder_model.onnx")))).code).toBe("TOO_LARGE");
  });
});

describe("whisper_with_past: the folder with decoder_with_past_model.onnx and decoder_model_merged.onnx", () => {
  it("loadModel takes encoder_model.onnx + decoder_model.onnx and gives transformers' maps", async () => {
    const w = refCase("whisper_with_past");
    const r = w.runs[0];
    const withPast = await loadModel(path.join(w.dir, "onnx"), { providers: ["cpu"] });
    expect(withPast.info.files).toMatchObject({ encoder: "encoder_model.onnx", decoder: "decoder_model.onnx" });
    const features = path.join(w.dir, r.feeds["encoder_model.onnx"].input_features.npy as string);
    const result = await withPast.run({ input_features: features, target: (r.extra as unknown as AudioExtra).targets });
    const want = [...r.sites["encoder_model.onnx"], ...r.sites["decoder_model.onnx"]];
    expect(result.sites.map((s) => s.id)).toEqual(want.map((s) => s.id));
    for (const [i, s] of want.entries())
      expect(maxDiffOnQueries(result.sites[i].data, refMap(w, s), result.sites[i].dims), s.id).toBeLessThanOrEqual(
        w.tolerance,
      );
    await withPast.release();
  });
});

describe("whisper in other shapes", () => {
  it("one model.onnx (torch.onnx.export) taking input_features and decoder_input_ids together", async () => {
    const w = refCase("whisper_single");
    const r = w.runs[0];
    const single = await loadModel(path.join(w.dir, "onnx"), { providers: ["cpu"] });
    expect(single.family).toBe("encoder-decoder");
    const features = path.join(w.dir, r.feeds["model.onnx"].input_features.npy as string);
    const result = await single.run({ input_features: features, target: (r.extra as unknown as AudioExtra).targets });
    const want = r.sites["model.onnx"];
    expect(result.sites.map((s) => s.id)).toEqual(want.map((s) => s.id));
    for (const [i, s] of want.entries())
      expect(maxDiffOnQueries(result.sites[i].data, refMap(w, s), result.sites[i].dims), s.id).toBeLessThanOrEqual(
        w.tolerance,
      );
    expect(result.tokens?.source?.[0].length).toBe(want[0].shape[3]);
    await single.release();
  });

  it("the encoder file alone: encoder maps over frames, no decoder needed", async () => {
    const encoder = await loadModel(onnxPath(c, "encoder_model.onnx"), { providers: ["cpu"] });
    expect(encoder.family).toBe("encoder");
    const result = await encoder.run({ input_features: npyPath });
    expectMapsAsTransformers(result, run.sites["encoder_model.onnx"]);
    expect(result.tokens?.source?.[1][extra.encoder_positions - 1].seconds?.[1]).toBeCloseTo(1, 9);
    await encoder.release();
  });
});

describe("whisper_symbolic: frame axes declared by name (older optimum, transformers.js folders)", () => {
  it("takes mel bins and frames from preprocessor_config.json and sizes the encoder by 'encoder_sequence_length / 2'", async () => {
    const w = refCase("whisper_symbolic");
    const r = w.runs[0];
    const e = r.extra as unknown as AudioExtra;
    const named = await loadModel(path.join(w.dir, "onnx"), { providers: ["cpu"] });
    const [b, mel, frames] = e.feature_shape;
    expect(named.info.audio).toMatchObject({ melBins: mel, frames });
    const features = path.join(w.dir, r.feeds["encoder_model.onnx"].input_features.npy as string);
    const result = await named.run({ input_features: features, target: e.targets });
    for (const [i, s] of [...r.sites["encoder_model.onnx"], ...r.sites["decoder_model.onnx"]].entries())
      expect(maxDiffOnQueries(result.sites[i].data, refMap(w, s), result.sites[i].dims), s.id).toBeLessThanOrEqual(
        w.tolerance,
      );
    // The graph no longer fixes the frames: attnlens refuses the wrong length itself, naming the shape.
    const long = await errorOf(
      named.run({ input_features: new Float32Array(mel * 2 * frames), dims: [1, mel, 2 * frames] }),
    );
    expect(long.message).toContain(`input_features of shape [batch, ${mel}, ${frames}]`);
    // The size guard binds encoder_sequence_length to the frames fed and halves it, as the output declares.
    const heads = r.sites["encoder_model.onnx"][0].shape[1];
    const bytes = r.sites["encoder_model.onnx"].length * b * heads * e.encoder_positions ** 2 * 4;
    const exact = await openModel(path.join(w.dir, "onnx", "encoder_model.onnx"), {
      providers: ["cpu"],
      maxAttentionBytes: bytes,
    });
    expect((await exact.run(refFeeds(w, r, "encoder_model.onnx"))).sites).toHaveLength(
      r.sites["encoder_model.onnx"].length,
    );
    const under = await openModel(path.join(w.dir, "onnx", "encoder_model.onnx"), {
      providers: ["cpu"],
      maxAttentionBytes: bytes - 1,
    });
    expect((await errorOf(under.run(refFeeds(w, r, "encoder_model.onnx")))).code).toBe("TOO_LARGE");
    await named.release();
  });
});
