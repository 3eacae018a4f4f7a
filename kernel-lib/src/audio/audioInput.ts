/**
 * Audio features in: `{ input_features, target? }` (the Python name, as vision's `pixel_values`), the features as nested arrays ([mel][frames] for one clip
 * or [batch][mel][frames]), a flat Float32Array with `dims`, or the path of a .npy file (what
 * `numpy.save(path, feature_extractor(audio).input_features)` writes). Checked against the model's AudioSpec:
 * a wrong rank, mel count or length is one error naming the shape the model expects.
 */
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { AttnlensError } from "../errors";
import { decodeNpy } from "../output/files/npy";
import { type AudioSpec, describeAudioShape } from "./audioSpec";

/** Nested numbers: one clip [mel][frames] or a batch [batch][mel][frames]. */
export type NestedFeatures = readonly (readonly number[])[] | readonly (readonly (readonly number[])[])[];

/**
 * Log-mel features for an audio model (Whisper's `input_features`, as its feature extractor computes them),
 * with the decoder text of an encoder–decoder model; without `target` the model generates.
 */
export interface AudioInput {
  /**
   * [batch, mel, frames] or [mel, frames]: nested arrays, a flat Float32Array (give `dims`), a float32
   * onnxruntime Tensor, or a .npy path.
   */
  input_features: string | Float32Array | ort.Tensor | NestedFeatures;
  /** The shape of a flat Float32Array. */
  dims?: readonly number[];
  /** Decoder text, one per clip (teacher forcing). */
  target?: string | readonly string[] | null;
}

const KEYS = new Set(["input_features", "dims", "target"]);

/** An object with `input_features` and nothing but AudioInput's keys (feeds with more inputs stay feeds). */
export function isAudioInput(input: unknown): input is AudioInput {
  if (!input || typeof input !== "object" || Array.isArray(input)) return false;
  return "input_features" in input && Object.keys(input).every((k) => KEYS.has(k));
}

/** The features as a float32 tensor [batch, mel, frames], checked against what the model reads. */
export function featureTensor(input: AudioInput, spec: AudioSpec, model: string): ort.Tensor {
  const { data, dims } = readFeatures(input);
  const shape = dims.length === 2 ? [1, ...dims] : dims;
  const expected = describeAudioShape(spec);
  const problem =
    shape.length !== 3
      ? `${shape.length} dims`
      : spec.melBins != null && shape[1] !== spec.melBins
        ? `${shape[1]} mel bins`
        : spec.frames != null && shape[2] !== spec.frames
          ? `${shape[2]} frames`
          : shape[0] < 1 || shape[2] < 1
            ? "no frames"
            : null;
  if (problem) {
    throw new AttnlensError(
      "BAD_INPUT",
      `${model} reads ${spec.input} of shape ${expected}, but these features are [${dims.join(", ")}] (${problem}): ` +
        "compute them with the model's feature extractor (its preprocessor_config.json), which pads or cuts each clip to the window",
    );
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]))
      throw new AttnlensError(
        "BAD_INPUT",
        `${spec.input} holds ${data[i]} at flat index ${i}: features must be finite`,
      );
  }
  return new ort.Tensor("float32", data, shape);
}

function readFeatures(input: AudioInput): { data: Float32Array; dims: number[] } {
  const f = input.input_features;
  if (typeof f === "string") {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(f);
    } catch (e) {
      throw new AttnlensError("BAD_INPUT", `cannot read the features file ${f}: ${(e as Error).message}`);
    }
    try {
      const a = decodeNpy(bytes);
      return { data: a.data, dims: a.shape };
    } catch (e) {
      throw new AttnlensError("BAD_INPUT", `${f} is not a float .npy array: ${(e as Error).message}`);
    }
  }
  if (f instanceof Float32Array) {
    const dims = input.dims ? [...input.dims] : null;
    const n = dims?.reduce((a, b) => a * b, 1);
    if (!dims || n !== f.length) {
      throw new AttnlensError(
        "BAD_INPUT",
        dims
          ? `input_features has ${f.length} values but dims [${dims.join(", ")}] need ${n}`
          : "a flat Float32Array of features needs its shape: { input_features, dims: [batch, mel, frames] }",
      );
    }
    return { data: f, dims };
  }
  if (Array.isArray(f)) return flatten(f);
  if (f instanceof ort.Tensor) {
    if (f.type !== "float32")
      throw new AttnlensError("BAD_INPUT", `input_features is a ${f.type} tensor: features are float32`);
    return { data: f.data as Float32Array, dims: [...f.dims] };
  }
  throw new AttnlensError(
    "BAD_INPUT",
    "input_features must be nested number arrays, a Float32Array with dims, a float32 Tensor, or a .npy file path",
  );
}

/** Nested arrays → flat data and dims; every row of a level must have the same length. */
function flatten(nested: readonly unknown[]): { data: Float32Array; dims: number[] } {
  const dims: number[] = [];
  for (let level: unknown = nested; Array.isArray(level); level = level[0]) dims.push(level.length);
  const out = new Float32Array(dims.reduce((a, b) => a * b, 1));
  let k = 0;
  const walk = (v: unknown, depth: number, at: string) => {
    if (depth === dims.length) {
      if (typeof v !== "number")
        throw new AttnlensError("BAD_INPUT", `input_features${at} is ${typeof v}, not a number`);
      out[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== dims[depth]) {
      throw new AttnlensError(
        "BAD_INPUT",
        `input_features${at} has ${Array.isArray(v) ? v.length : "no"} entries where [${dims.join(", ")}] needs ${dims[depth]}: rows must be of one length`,
      );
    }
    v.forEach((x, i) => walk(x, depth + 1, `${at}[${i}]`));
  };
  walk(nested, 0, "");
  return { data: out, dims };
}
