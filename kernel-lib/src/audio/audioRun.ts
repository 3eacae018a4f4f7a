/**
 * Running an audio model from features: the encoder reads `input_features`, its positions are labelled as
 * frames with times (frameTokens), and the decoder reads the target text (teacher forcing) or generates
 * greedily, one clip at a time, as text generation does.
 */
import * as ort from "onnxruntime-node";
import { AttnlensError } from "../errors";
import type { AttentionResult, PositionMask, TokenInfo } from "../result/types";
import { type Engine, maskOf } from "../run/engine";
import { describeInput } from "../run/feeds";
import { stackResults } from "../run/generate/assemble";
import { greedySeq2Seq } from "../run/generate/greedy";
import type { GenerationResult } from "../run/generate/textGenerate";
import type { ModelInfo, TextRunOptions } from "../run/textModel";
import type { EncodedBatch } from "../text/batch";
import type { TextTokenizer } from "../text/textTokenizer";
import { type AudioInput, featureTensor } from "./audioInput";
import type { AudioSpec } from "./audioSpec";
import { frameTokens } from "./frameTokens";

export interface AudioModelParts {
  engine: Engine;
  info: ModelInfo;
  /** The tokenizer (throws when the model has none: only the decoder needs it). */
  tokenizer: () => TextTokenizer;
  /** Target texts as decoder input (start token first, final end token dropped). */
  encodeTarget: (texts: readonly string[]) => EncodedBatch;
}

const DEFAULT_NEW_TOKENS = 20;

export async function runAudio(
  m: AudioModelParts,
  input: AudioInput,
  options: TextRunOptions = {},
): Promise<AttentionResult | GenerationResult> {
  const spec = m.info.audio;
  if (!spec) {
    throw new AttnlensError(
      "BAD_INPUT",
      `${m.info.name} reads no audio features: its inputs are ${m.engine.models[0].inputs.map(describeInput).join(", ")}; give it text`,
    );
  }
  const features = featureTensor(input, spec, m.info.name);
  const batch = features.dims[0];
  const targets = input.target == null ? null : typeof input.target === "string" ? [input.target] : [...input.target];
  if (targets && targets.length !== batch) {
    throw new AttnlensError(
      "BAD_INPUT",
      `target has ${targets.length} texts but the features hold ${batch} clips: give one per clip`,
    );
  }
  if (m.engine.family !== "encoder-decoder") {
    const result = await m.engine.models[0].run({ [spec.input]: features }, { sites: options.sites });
    return labelled(result, spec, features, null);
  }
  if (targets) {
    const target = m.encodeTarget(targets);
    const state = await m.engine.encodeFeatures(spec.input, features, options.sites);
    const result = await m.engine.forward(state, target.batch, options.sites);
    return labelled(
      { ...result, masks: { ...result.masks, decoder: maskOf(target.batch) } },
      spec,
      features,
      target.tokens,
    );
  }
  return generateFromAudio(m, spec, features, options);
}

/** Greedy decoding per clip, each step's attention kept (as TextModel.generate does for text). */
async function generateFromAudio(
  m: AudioModelParts,
  spec: AudioSpec,
  features: ort.Tensor,
  options: TextRunOptions,
): Promise<GenerationResult> {
  const start = m.info.decoderStartId;
  if (start == null) {
    throw new AttnlensError(
      "BAD_MODEL",
      `${m.info.name}: config.json names no decoder_start_token_id, so generation cannot start; pass a target`,
    );
  }
  const tokenizer = m.tokenizer();
  const maxNewTokens = options.maxNewTokens ?? m.info.config.maxLength ?? DEFAULT_NEW_TOKENS;
  // The decoder's positions (Whisper: max_target_positions, 448); generation stops before running out.
  const target = m.info.config.raw.max_target_positions;
  const maxPositions = typeof target === "number" && target > 0 ? target : m.info.maxPositions;
  const [batch, mel, frames] = features.dims;
  const clip = mel * frames;
  const results: AttentionResult[] = [];
  const ids: number[][] = [];
  for (let b = 0; b < batch; b++) {
    const one = new ort.Tensor("float32", (features.data as Float32Array).subarray(b * clip, (b + 1) * clip), [
      1,
      mel,
      frames,
    ]);
    const state = await m.engine.encodeFeatures(spec.input, one);
    const g = await greedySeq2Seq(m.engine, state, start, { maxNewTokens, eos: m.info.eos, maxPositions });
    const target = tokenizer.tokensOf(g.fed).map((t, i) => (i === 0 ? { ...t, word: null, special: true } : t));
    results.push(labelled(g.result, spec, one, [target]));
    ids.push(g.generated);
  }
  const pad = { ...tokenizer.tokensOf([m.info.padId])[0], word: null, special: true };
  const stacked = stackResults(results, { target: pad, source: pad });
  return { ...stacked, generated: { ids, text: ids.map((g) => tokenizer.decode(g)) } };
}

/** Source tokens as frames with times, every encoder position valid; target tokens when there is a decoder. */
function labelled(
  result: AttentionResult,
  spec: AudioSpec,
  features: ort.Tensor,
  target: TokenInfo[][] | null,
): AttentionResult {
  const [batch, , frames] = features.dims;
  const positions = encoderPositions(result);
  const mask: PositionMask = { data: new Uint8Array(batch * positions).fill(1), dims: [batch, positions] };
  const source = frameTokens(batch, frames, positions, spec.frameSeconds);
  return {
    ...result,
    masks: { ...result.masks, encoder: mask },
    tokens: target ? { source, target } : { source },
  };
}

/** Encoder positions: the key axis of an encoder or cross site, else the encoder's states. */
function encoderPositions(result: AttentionResult): number {
  const site = result.sites.find((s) => s.stack === "encoder" || s.kind === "cross");
  if (site) return site.dims[3];
  const states = result.outputs.encoder_last_hidden_state ?? result.outputs.last_hidden_state;
  if (states) return states.dims[1];
  throw new AttnlensError(
    "BAD_MODEL",
    "the audio model returned neither encoder sites nor encoder states: its positions are unknown",
  );
}
