/**
 * A model loaded with its tokenizer: `run("text")`, `run({ source, pair, target })` or
 * `generate(...)` tokenize, build the feeds the session declares, run, and label the result with
 * tokens (`result.tokens.source` / `.target`, one TokenInfo list per sample, padding included).
 */
import { type AudioInput, isAudioInput } from "../audio/audioInput";
import { runAudio } from "../audio/audioRun";
import type { AudioSpec } from "../audio/audioSpec";
import { AttnlensError } from "../errors";
import type { AttentionSite, RejectedSoftmax } from "../graph/sites/types";
import { type ImageInput, isImageInput } from "../image/imageInput";
import { runImage } from "../image/runImage";
import type { ModelConfig } from "../load/config";
import type { ModelFiles } from "../load/layout";
import type { LazyResult } from "../result/lazy";
import type { AttentionResult, ProviderFallback } from "../result/types";
import { type EncodedBatch, encodeBatch } from "../text/batch";
import { isFeeds, normalizeText, type TextInput } from "../text/textInput";
import type { TextToken, TextTokenizer } from "../text/textTokenizer";
import type { RunOptions } from "./attentionModel";
import { type Engine, type Family, maskOf } from "./engine";
import type { Feeds, InputSpec } from "./feeds";
import { type GenerateOptions, type GenerationResult, generateText } from "./generate/textGenerate";
import { runTextLazy } from "./lazy/textLazy";

/** Options of `TextModel.run`: those of `AttentionModel.run`, plus truncation and generation length. */
export interface TextRunOptions extends RunOptions {
  /** Cut texts longer than the model's positions instead of refusing them (default: the load option). */
  truncate?: boolean;
  /** Encoder-decoder without a target: at most this many generated tokens. */
  maxNewTokens?: number;
}

/** Where a loaded model came from and the token ids it needs. */
export interface ModelInfo {
  /** The source as given to loadModel. */
  name: string;
  /** The local directory its files are in. */
  dir: string;
  files: ModelFiles;
  config: ModelConfig;
  maxPositions: number | null;
  truncate: boolean;
  padId: number;
  eos: ReadonlySet<number>;
  decoderStartId: number | null;
  /** What an audio model's features must be (mel bins, frames, frame duration); null for text models. */
  audio: AudioSpec | null;
}

/**
 * A model opened by `loadModel`: text in (tokenized with its tokenizer.json), attention out with tokens, for
 * encoder, decoder and encoder–decoder models.
 */
export class TextModel {
  constructor(
    private readonly engine: Engine,
    readonly info: ModelInfo,
    private readonly tok: TextTokenizer | null,
  ) {}

  /** `encoder` (BERT-like), `decoder` (GPT-like) or `encoder-decoder`. */
  get family(): Family {
    return this.engine.family;
  }
  /** Every attention site, encoder before decoder. */
  get sites(): readonly AttentionSite[] {
    return this.engine.sites;
  }
  /** The inputs of the (first) ONNX file, as it declares them. */
  get inputs(): readonly InputSpec[] {
    return this.engine.models[0].inputs;
  }
  /** The model's own outputs (of the decoder file, for a split encoder-decoder). */
  get outputs(): readonly string[] {
    return this.engine.models[this.engine.models.length - 1].outputs;
  }
  /** The execution provider that runs the model (`cuda`, `webgpu`, `cpu`, …). */
  get provider(): string {
    return this.engine.models[0].provider;
  }
  /** Providers tried before the one in use, each with the reason it was not used. */
  get fallbacks(): readonly ProviderFallback[] {
    return this.engine.models[0].fallbacks;
  }
  /** Softmax nodes that are not attention and fused ops that cannot be exposed, with reasons. */
  get skipped(): readonly RejectedSoftmax[] {
    return this.engine.models.flatMap((m) => m.skipped);
  }

  /** The model's tokenizer; throws MISSING_FILES when the model has no tokenizer.json. */
  get tokenizer(): TextTokenizer {
    if (!this.tok) {
      throw new AttnlensError(
        "MISSING_FILES",
        `${this.info.name} has no tokenizer.json (looked in ${this.info.dir}): text cannot be tokenized; ` +
          "add the tokenizer.json exported with the model, or pass feeds to run()",
      );
    }
    return this.tok;
  }

  /**
   * Runs text (one string, several, or { source, pair, target }), an image ({ image } or { pixel_values },
   * plus `text` for CLIP-like models), audio features ({ input_features, target? }, for Whisper-like models)
   * or ready-made feeds.
   */
  async run(
    input: TextInput | ImageInput | AudioInput | Feeds,
    options: TextRunOptions = {},
  ): Promise<AttentionResult> {
    if (isImageInput(input)) return runImage(this.engine.models[0], this.info, this.tok, input, options);
    if (isAudioInput(input)) {
      return runAudio(
        {
          engine: this.engine,
          info: this.info,
          tokenizer: () => this.tokenizer,
          encodeTarget: (texts) => this.encode(texts, { truncate: options.truncate, decoderInput: true }),
        },
        input,
        options,
      );
    }
    if (isFeeds(input)) {
      if (this.engine.models.length > 1) {
        throw new AttnlensError(
          "BAD_INPUT",
          `${this.info.name} is split into encoder and decoder files: give text, or open each file with openModel() to pass feeds`,
        );
      }
      return this.engine.models[0].run(input, options);
    }
    this.refuseTextForAudio();
    const text = normalizeText(input as TextInput);
    if (text.target && this.family !== "encoder-decoder") {
      throw new AttnlensError(
        "BAD_INPUT",
        `target is for encoder-decoder models; ${this.info.name} is ${this.family}-only`,
      );
    }
    if (this.family === "encoder-decoder" && !text.target) {
      return this.generate({ source: text.source }, { truncate: options.truncate, maxNewTokens: options.maxNewTokens });
    }
    const truncate = options.truncate ?? this.info.truncate;
    const source = this.encode(text.source, { pairs: text.pair, truncate });
    const state = await this.engine.encode(source.batch, options.sites);
    if (this.family !== "encoder-decoder") {
      const result = await this.engine.forward(state, null, options.sites);
      const tokens = source.tokens;
      return { ...result, tokens: this.family === "decoder" ? { source: tokens, target: tokens } : { source: tokens } };
    }
    const target = this.encode(text.target ?? [], { truncate, decoderInput: true });
    const result = await this.engine.forward(state, target.batch, options.sites);
    return {
      ...result,
      masks: { ...result.masks, decoder: maskOf(target.batch) },
      tokens: { source: source.tokens, target: target.tokens },
    };
  }

  /**
   * Like run() for text (one string, several, { source, pair, target }) or feeds, but keeps per
   * site what its probabilities are recomputed from, not the maps: `rows()` and `tile()` give them
   * on demand (see AttentionModel.runLazy). Needs a model loaded with `maps: "lazy" | "auto"`.
   */
  async runLazy(input: TextInput | Feeds, options: TextRunOptions = {}): Promise<LazyResult> {
    if (isFeeds(input)) {
      if (this.engine.models.length > 1)
        throw new AttnlensError(
          "BAD_INPUT",
          `${this.info.name} is split into encoder and decoder files: give text, or open each file with openModel() to pass feeds`,
        );
      return this.engine.models[0].runLazy(input, options);
    }
    if (isImageInput(input as never) || isAudioInput(input as never))
      throw new AttnlensError("BAD_INPUT", "runLazy takes text or feeds; give images and audio to run()");
    this.refuseTextForAudio();
    const text = normalizeText(input as TextInput);
    if (text.target && this.family !== "encoder-decoder")
      throw new AttnlensError(
        "BAD_INPUT",
        `target is for encoder-decoder models; ${this.info.name} is ${this.family}-only`,
      );
    const truncate = options.truncate ?? this.info.truncate;
    const source = this.encode(text.source, { pairs: text.pair, truncate });
    const target =
      text.target && this.family === "encoder-decoder"
        ? this.encode(text.target, { truncate, decoderInput: true })
        : null;
    return runTextLazy(
      { models: this.engine.models, family: this.family, name: this.info.name, source, target },
      options,
    );
  }

  /** Greedy generation (decoder-only and encoder-decoder models), collecting each step's attention. */
  async generate(input: TextInput, options: GenerateOptions = {}): Promise<GenerationResult> {
    this.refuseTextForAudio();
    if (this.family === "encoder") {
      throw new AttnlensError(
        "BAD_INPUT",
        `${this.info.name} is an encoder-only model: it does not generate text; use run()`,
      );
    }
    return generateText(this.engine, this.info, this.tokenizer, normalizeText(input).source, options, (texts, o) =>
      this.encode(texts, o),
    );
  }

  private refuseTextForAudio(): void {
    const audio = this.info.audio;
    if (audio) {
      throw new AttnlensError(
        "BAD_INPUT",
        `${this.info.name} reads audio features (${audio.input}), not text: run({ input_features, target? }) (without target it generates)`,
      );
    }
  }

  /** Tokenizes a batch; as decoder input, the start token goes first and a final end token is dropped. */
  private encode(
    texts: readonly string[],
    o: { pairs?: readonly (string | null)[] | null; truncate?: boolean; decoderInput?: boolean },
  ): EncodedBatch {
    const start = o.decoderInput ? this.decoderStart() : null;
    return encodeBatch(this.tokenizer, texts, {
      pairs: o.pairs,
      maxPositions: this.info.maxPositions,
      truncate: o.truncate ?? this.info.truncate,
      padId: this.info.padId,
      model: this.info.name,
      adjust: start
        ? (tokens, typeIds) => {
            const n =
              tokens.length > 0 && this.info.eos.has(tokens[tokens.length - 1].id) ? tokens.length - 1 : tokens.length;
            return { tokens: [start, ...tokens.slice(0, n)], typeIds: [0, ...typeIds.slice(0, n)] };
          }
        : undefined,
    });
  }

  private decoderStart(): TextToken {
    const id = this.info.decoderStartId;
    if (id == null) {
      throw new AttnlensError(
        "BAD_MODEL",
        `${this.info.name}: config.json names no decoder_start_token_id (nor a pad or bos token), so the decoder's first token is unknown`,
      );
    }
    return { ...this.tokenizer.tokensOf([id])[0], word: null, special: true };
  }

  /** Frees the onnxruntime sessions. */
  async release(): Promise<void> {
    for (const m of this.engine.models) await m.release();
  }
}
