import { mkdtempSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { AttnlensError } from "../errors";
import { encodeNpy } from "../output/files/npy";
import { featureTensor, isAudioInput } from "./audioInput";
import type { AudioSpec } from "./audioSpec";

const spec: AudioSpec = { input: "input_features", melBins: 2, frames: 3, frameSeconds: 0.01 };
const clip = [
  [1, 2, 3],
  [4, 5, 6],
];

function errorOf(f: () => unknown): AttnlensError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AttnlensError);
    return e as AttnlensError;
  }
  throw new Error("no error");
}

describe("featureTensor", () => {
  it("reads one clip [mel][frames] as a batch of one, row-major", () => {
    const t = featureTensor({ input_features: clip }, spec, "m");
    expect(t.dims).toEqual([1, 2, 3]);
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("reads a flat Float32Array with dims, a .npy file and a Tensor the same way", () => {
    const flat = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    const a = featureTensor({ input_features: flat, dims: [2, 2, 3] }, spec, "m");
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "attnlens-audio-")), "f.npy");
    writeFileSync(file, encodeNpy(flat, [2, 2, 3]));
    const b = featureTensor({ input_features: file }, spec, "m");
    expect(b.dims).toEqual(a.dims);
    expect(b.data).toEqual(a.data);
    const c = featureTensor({ input_features: new ort.Tensor("float32", flat, [2, 2, 3]) }, spec, "m");
    expect(c.dims).toEqual(a.dims);
    expect(c.data).toEqual(a.data);
    const ints = new ort.Tensor("int32", new Int32Array(12), [2, 2, 3]);
    expect(errorOf(() => featureTensor({ input_features: ints }, spec, "m")).message).toContain("int32 tensor");
  });

  it("names the expected shape when mel bins or frames are wrong", () => {
    const e = errorOf(() => featureTensor({ input_features: [[1, 2, 3]] }, spec, "tiny-whisper"));
    expect(e.code).toBe("BAD_INPUT");
    expect(e.message).toContain(
      "tiny-whisper reads input_features of shape [batch, 2, 3] (3 frames of 10 ms = 0.03 s), but these features are [1, 3] (1 mel bins)",
    );
    expect(
      errorOf(() =>
        featureTensor(
          {
            input_features: [
              [1, 2],
              [3, 4],
            ],
          },
          spec,
          "m",
        ),
      ).message,
    ).toContain("(2 frames)");
  });

  it("refuses ragged rows, non-finite values, a missing shape and an unreadable file", () => {
    expect(errorOf(() => featureTensor({ input_features: [[1, 2, 3], [4]] }, spec, "m")).message).toContain(
      "input_features[1] has 1 entries where [2, 3] needs 3",
    );
    expect(
      errorOf(() =>
        featureTensor(
          {
            input_features: [
              [1, 2, Number.NaN],
              [4, 5, 6],
            ],
          },
          spec,
          "m",
        ),
      ).message,
    ).toContain("holds NaN at flat index 2");
    expect(errorOf(() => featureTensor({ input_features: new Float32Array(6) }, spec, "m")).message).toContain(
      "needs its shape",
    );
    expect(errorOf(() => featureTensor({ input_features: "/nonexistent/f.npy" }, spec, "m")).message).toContain(
      "cannot read the features file /nonexistent/f.npy",
    );
  });

  it("tells audio input from text and feeds", () => {
    expect(isAudioInput({ input_features: clip })).toBe(true);
    expect(isAudioInput({ source: "x" })).toBe(false);
    // Feeds that carry more than the features (a one-file model's decoder_input_ids) stay feeds.
    expect(isAudioInput({ input_features: clip, decoder_input_ids: [[1]] })).toBe(false);
    expect(isAudioInput("x")).toBe(false);
  });
});
