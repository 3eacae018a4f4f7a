/**
 * One forward pass from token batches, whether the model is one ONNX file or optimum's encoder +
 * decoder pair: `encode` runs what depends on the source only (the encoder file, once), `forward`
 * the rest. Results of a split pair are merged into one AttentionResult, encoder sites first.
 */
import * as ort from "onnxruntime-node";
import type { AttentionSite } from "../graph/sites/types";
import type { AttentionResult, PositionMask } from "../result/types";
import type { TokenBatch } from "../text/batch";
import { buildFeeds } from "../text/textFeeds";
import type { AttentionModel } from "./attentionModel";

/** A model's architecture family: encoder only (BERT), decoder only (GPT-2) or encoder–decoder (T5, Marian). */
export type Family = "encoder" | "decoder" | "encoder-decoder";

export interface EncoderState {
  /** The source tokens; null when the source is audio features. */
  source: TokenBatch | null;
  /** Audio features [batch, mel, frames] and the input that takes them, when the source is audio. */
  features?: { input: string; tensor: ort.Tensor };
  /** [batch][source positions]: 1 where the encoder's position is real (all of them for audio). */
  sourceMask: number[][];
  /** The encoder file's result (split models only). */
  encoded: AttentionResult | null;
}

export interface Engine {
  readonly family: Family;
  readonly sites: readonly AttentionSite[];
  readonly models: readonly AttentionModel[];
  encode(source: TokenBatch, sites?: readonly string[]): Promise<EncoderState>;
  /** Encodes audio features (the encoder file's `input`), for models whose encoder reads them. */
  encodeFeatures(input: string, features: ort.Tensor, sites?: readonly string[]): Promise<EncoderState>;
  /** `decoder` is required for encoder-decoder models and ignored otherwise. */
  forward(state: EncoderState, decoder: TokenBatch | null, sites?: readonly string[]): Promise<AttentionResult>;
}

const only = (model: AttentionModel, ids: readonly string[] | undefined) =>
  ids ? ids.filter((id) => model.sites.some((s) => s.id === id)) : undefined;

/** A model in one file: encoder-only, decoder-only, or an encoder-decoder taking decoder_input_ids. */
export class SingleFileEngine implements Engine {
  constructor(
    private readonly model: AttentionModel,
    readonly family: Family,
    private readonly what: string,
  ) {}
  get sites() {
    return this.model.sites;
  }
  get models() {
    return [this.model];
  }
  async encode(source: TokenBatch): Promise<EncoderState> {
    return { source, sourceMask: source.mask, encoded: null };
  }
  async encodeFeatures(input: string, features: ort.Tensor): Promise<EncoderState> {
    // The encoder runs inside the one file, with the decoder: its length is known after the run.
    return { source: null, features: { input, tensor: features }, sourceMask: [], encoded: null };
  }
  async forward(state: EncoderState, decoder: TokenBatch | null, sites?: readonly string[]): Promise<AttentionResult> {
    const primary = state.source ?? decoder;
    if (!primary) throw new Error("SingleFileEngine.forward needs source or decoder tokens");
    const audio = state.features ? { [state.features.input]: state.features.tensor } : {};
    const feeds = buildFeeds(
      this.model.inputs.filter((i) => !(i.name in audio)),
      { primary, decoder: decoder ?? undefined },
      this.what,
    );
    return this.model.run({ ...feeds, ...audio }, { sites });
  }
}

/** optimum's encoder_model.onnx + decoder_model.onnx. */
export class SplitEngine implements Engine {
  readonly family = "encoder-decoder" as const;
  constructor(
    private readonly encoder: AttentionModel,
    private readonly decoder: AttentionModel,
    private readonly what: { encoder: string; decoder: string },
  ) {}
  get sites() {
    return [...this.encoder.sites, ...this.decoder.sites];
  }
  get models() {
    return [this.encoder, this.decoder];
  }
  async encode(source: TokenBatch, sites?: readonly string[]): Promise<EncoderState> {
    const feeds = buildFeeds(this.encoder.inputs, { primary: source }, this.what.encoder);
    const wanted = only(this.encoder, sites);
    // The encoder always runs (the decoder needs its output), even when none of its sites is wanted.
    const encoded = await this.encoder.run(feeds, { sites: wanted });
    return { source, sourceMask: source.mask, encoded };
  }
  async encodeFeatures(input: string, features: ort.Tensor, sites?: readonly string[]): Promise<EncoderState> {
    const feeds = buildFeeds(
      this.encoder.inputs.filter((i) => i.name !== input),
      { primary: { ids: [], mask: [], typeIds: [] } },
      this.what.encoder,
    );
    const encoded = await this.encoder.run({ ...feeds, [input]: features }, { sites: only(this.encoder, sites) });
    const [batch, positions] = encoded.outputs[this.encoder.outputs[0]].dims;
    const sourceMask = Array.from({ length: batch }, () => new Array<number>(positions).fill(1));
    return { source: null, features: { input, tensor: features }, sourceMask, encoded };
  }
  async forward(state: EncoderState, decoder: TokenBatch | null, sites?: readonly string[]): Promise<AttentionResult> {
    if (!decoder || !state.encoded) throw new Error("SplitEngine.forward needs decoder tokens and an encoded source");
    const hiddenName = this.encoder.outputs[0];
    const h = state.encoded.outputs[hiddenName];
    const hidden = new ort.Tensor("float32", h.data as Float32Array, h.dims);
    const feeds = buildFeeds(
      this.decoder.inputs,
      { primary: decoder, encoderHidden: hidden, encoderMask: state.sourceMask },
      this.what.decoder,
    );
    const decoded = await this.decoder.run(feeds, { sites: only(this.decoder, sites) });
    return merge(state.encoded, decoded, decoder);
  }
}

function merge(enc: AttentionResult, dec: AttentionResult, decoder: TokenBatch): AttentionResult {
  const outputs: AttentionResult["outputs"] = {};
  for (const [k, v] of Object.entries(enc.outputs)) outputs[k.startsWith("encoder_") ? k : `encoder_${k}`] = v;
  Object.assign(outputs, dec.outputs);
  return {
    sites: [...enc.sites, ...dec.sites],
    provider: enc.provider,
    fallbacks: enc.fallbacks,
    masks: { encoder: enc.masks.encoder, decoder: maskOf(decoder) },
    inputIds: { encoder: enc.inputIds?.encoder, decoder: dec.inputIds?.decoder },
    segments: { ...enc.segments },
    outputs,
  };
}

export function maskOf(batch: TokenBatch): PositionMask {
  const width = batch.mask[0]?.length ?? 0;
  return { data: Uint8Array.from(batch.mask.flat()), dims: [batch.mask.length, width] };
}
