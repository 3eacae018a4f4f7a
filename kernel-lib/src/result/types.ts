/**
 * The attention data model: what extraction returns and what every later stage
 * (metrics, payload, views, reports) consumes. Shapes are spelled out per field.
 */

/** Which stack of the transformer an attention block belongs to. */
export type Stack = "encoder" | "decoder";

/** Self-attention (queries and keys from the same stream) or cross-attention (keys from the encoder). */
export type AttentionKind = "self" | "cross";

/** The label of one attention block of one layer, as found in the ONNX graph. */
export interface SiteLabel {
  /** Stable id, `${stack}.${kind}.${layer}`, e.g. `decoder.cross.2`. */
  id: string;
  stack: Stack;
  kind: AttentionKind;
  /** 0-based layer index within its stack (and kind). */
  layer: number;
  /** Number of heads; 0 when it can only be known after a run. */
  heads: number;
  /**
   * True when a causal mask hides future positions (targets see sources j ≤ i): read from the map on the
   * real (unpadded) target rows when they allow it, else the mask found in the graph.
   */
  causal: boolean;
  /** Name of the ONNX node whose output holds the probabilities (usually a Softmax). */
  node: string;
  /**
   * The graph inputs the site's queries are computed from (past keys and values left out), where
   * discovery traced them. It tells a two-tower model's image sites (CLIP's vision tower: only
   * `pixel_values`) from its text sites, which the text's mask and ids describe.
   */
  inputs?: string[];
}

/** One site's attention probabilities from one run. */
export interface SiteAttention extends SiteLabel {
  /** A[b, h, t, s] = data[((b·H + h)·T + t)·S + s]; each row over s sums to 1 (probability mass). */
  data: Float32Array;
  /** [batch, heads, target, source]. */
  dims: [number, number, number, number];
}

/** A 0/1 mask of valid (non-padding) positions, row-major [batch, length]. */
export interface PositionMask {
  data: Uint8Array;
  dims: [number, number];
}

/** One token of a tokenized input, in model order. */
export interface TokenInfo {
  /** The tokenizer's token string (`##ing`, `Ġthe`, `[CLS]`, …). */
  text: string;
  /** Token id in the vocabulary. */
  id: number;
  /** Index of the word this piece belongs to; null for special tokens. */
  word: number | null;
  /** True for special tokens ([CLS], [SEP], <s>, </s>, [PAD], …). */
  special: boolean;
  /** Character span [start, end) in the input text, when known. */
  offsets?: [number, number];
  /** An audio encoder's position: the span [start, end) of the clip it covers, in seconds. */
  seconds?: [number, number];
}

/** One of the model's own outputs. */
export interface ModelOutput {
  /** onnxruntime tensor type: `float32`, `int64`, … */
  type: string;
  dims: number[];
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Int8Array | string[];
}

/** A provider that was tried and rejected before the one that ran. */
export interface ProviderFallback {
  provider: string;
  reason: string;
}

/**
 * Norm-based attention's second factor for one site (Kobayashi et al. 2020): the length of what
 * each source contributes per unit of attention, per head.
 */
export interface SiteValueNorms {
  /** The site id, as in `sites`. */
  site: string;
  /**
   * `"transformed"`: ‖f(x_j)‖ = ‖(x_j W_V + b_V) W_O^h‖, the value vector through head h's slice of
   * the output projection; `"value"`: ‖v_j‖ alone, where the output projection was not found.
   */
  kind: "transformed" | "value";
  /** [batch, heads, source]; N[b, h, j] = data[(b·H + h)·S + j]. */
  dims: [number, number, number];
  data: Float32Array;
  /** Why `kind` is "value". */
  note?: string;
}

/**
 * How a vision model's tokens tile its input image: `prefix` special tokens ([CLS], …), then a
 * rows × cols grid of patches in row-major order. `pictures` hold what each sample's model saw.
 */
export interface ImageLayout {
  rows: number;
  cols: number;
  /** Tokens before the patches ([CLS] = 1; 0 for Swin-like models). */
  prefix: number;
  /** Patch side in pixels. */
  patch: number;
  /** Swin-like models: attention runs in windows of window × window patches (maps are per window). */
  window: number | null;
  /** Swin-like models: blocks per stage (config.json `depths`); see `windowLabels`. */
  depths: number[] | null;
  /**
   * Per sample, the image at the model's input size, 8-bit RGB interleaved, data[(y·width + x)·3 + c]:
   * after resize and crop, before rescale/normalize (pixel_values passed directly are mapped back through
   * the processor's mean/std when known, else stretched to 0–255).
   */
  pictures: { width: number; height: number; data: Uint8Array }[];
}

/** Everything one `model.run` returns. */
export interface AttentionResult {
  /** Sites in (stack, layer) order: encoder before decoder; self before cross within a decoder layer. */
  sites: SiteAttention[];
  /** The execution provider that ran the session (`cuda`, `webgpu`, `cpu`, …). */
  provider: string;
  /** Providers tried before `provider`, and why each failed. */
  fallbacks: ProviderFallback[];
  /** Valid-position masks, where the feeds carried one (attention_mask, decoder_attention_mask). */
  masks: { encoder?: PositionMask; decoder?: PositionMask };
  /**
   * Token ids and segment ids (token_type_ids) per stack, one Int32Array per sample, taken from
   * the feeds: they let metrics find induction and block patterns without a tokenizer.
   */
  inputIds?: Partial<Record<Stack, Int32Array[]>>;
  segments?: Partial<Record<Stack, Int32Array[]>>;
  /** The model's own outputs (logits, hidden states), as onnxruntime returned them. */
  outputs: Record<string, ModelOutput>;
  /** Per site, the value-vector norms, when the model was opened with `valueNorms: true`. */
  valueNorms?: SiteValueNorms[];
  /** With `valueNorms: true`: the sites whose value vectors were not found in the graph, and why. */
  valueNormsMissing?: { site: string; reason: string }[];
  /** Vision runs (an image or pixel_values in): how the tokens tile the image. */
  image?: ImageLayout;
  /** Tokens per sample, when the run started from text (filled by the tokenizer layer). */
  tokens?: { source?: TokenInfo[][]; target?: TokenInfo[][] };
}
