/**
 * What an audio model reads: the features input (Whisper's `input_features` [batch, mel bins, frames]), its
 * mel bins and frames per window, and how long a frame lasts. The graph's declared shape wins (it is what
 * runs); preprocessor_config.json (WhisperFeatureExtractor's `feature_size`, `nb_max_frames`, `hop_length`,
 * `sampling_rate`) and config.json (`num_mel_bins`) fill what the graph leaves symbolic.
 */
import type { InputSpec } from "../run/feeds";

/** The audio features input of a model, as attnlens checks and labels it. */
export interface AudioSpec {
  /** The input that takes the features (`input_features`). */
  input: string;
  /** Mel bins per frame; null when neither the graph nor the configs say. */
  melBins: number | null;
  /** Frames per window the encoder reads (Whisper: 3000 = 30 s); null when any length goes. */
  frames: number | null;
  /** Seconds per feature frame (hop_length / sampling_rate); null when preprocessor_config.json does not say. */
  frameSeconds: number | null;
}

/** Input names that carry spectrogram features [batch, bins, frames]. */
const FEATURE_INPUTS = ["input_features"];

const positive = (v: unknown): number | null => (typeof v === "number" && Number.isInteger(v) && v > 0 ? v : null);

/** The audio spec of a model whose (encoder) file takes features; null for a text model. */
export function audioSpec(
  inputs: readonly InputSpec[],
  config: Record<string, unknown>,
  preprocessor: Record<string, unknown> | null,
): AudioSpec | null {
  const input = inputs.find((i) => FEATURE_INPUTS.includes(i.name));
  if (!input) return null;
  const pre = preprocessor ?? {};
  const declared = input.dims?.length === 3 ? input.dims : null;
  const hop = positive(pre.hop_length);
  const rate = positive(pre.sampling_rate);
  return {
    input: input.name,
    melBins: positive(declared?.[1]) ?? positive(pre.feature_size) ?? positive(config.num_mel_bins),
    frames: positive(declared?.[2]) ?? positive(pre.nb_max_frames),
    frameSeconds: hop && rate ? hop / rate : null,
  };
}

/** `[batch, 80, 3000]` (with `, 30 s` when the frame duration is known), for messages. */
export function describeAudioShape(spec: AudioSpec): string {
  const shape = `[batch, ${spec.melBins ?? "mel bins"}, ${spec.frames ?? "frames"}]`;
  if (spec.frames == null || spec.frameSeconds == null) return shape;
  return `${shape} (${spec.frames} frames of ${spec.frameSeconds * 1000} ms = ${+(spec.frames * spec.frameSeconds).toFixed(3)} s)`;
}
