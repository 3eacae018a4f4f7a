/**
 * Payload v1: everything a view can show, in one JSON object. kernel-lib encodes it
 * (`encodePayload`), the widgets decode it (`decodePayload`). Hosts pass it through untouched:
 * the JupyterLab MIME renderer (`application/vnd.attnlens.v1+json`), the HTML report, the tests.
 *
 * Shapes: B samples, H heads, T target (query) positions, S source (key) positions.
 * Every string in a payload is data: views set it as text, never as HTML or an expression.
 */

/** The format version; a decoder refuses any other. */
export const PAYLOAD_VERSION = 1;

/** The two token streams of a run: `source` is the encoder input, `target` the decoder input. */
export type StreamName = "source" | "target";

export type Stack = "encoder" | "decoder";
export type AttentionKind = "self" | "cross";

/** How a block of attention weights is stored. */
export type MapDtype = "uint8" | "float16";

/** The tokens of one stream, per sample. Position p of the stream is index p − `start` here. */
export interface TokenStream {
  /** Position of the first token in the model's sequence (> 0 after a token range was cut). */
  start: number;
  /** Token strings, [B][L] (L = positions kept). */
  text: string[][];
  /** Indices (into `text[b]`) of special tokens ([CLS], [SEP], <s>, …), per sample, ascending. */
  special: number[][];
  /** Indices of padding positions (attention mask 0), per sample, ascending. */
  padding: number[][];
  /** True when the run had no tokenizer: `text` holds position numbers. */
  synthetic?: boolean;
}

/**
 * Attention weights of one site, one map per (sample, head), each quantized on its own.
 * Map (b, h) occupies values [(b·H + h)·Ty·Sx, (b·H + h + 1)·Ty·Sx) of the decoded buffer,
 * row-major over (y, x). Decoded weight (probability mass) = stored · scale[b·H + h], where
 * stored = byte / 255 for uint8 and the IEEE half value for float16.
 */
export interface EncodedMaps {
  dtype: MapDtype;
  /** Stored shape [B, H, Ty, Sx]; Ty = ⌈T / bin[0]⌉, Sx = ⌈S / bin[1]⌉. */
  dims: [number, number, number, number];
  /**
   * Tokens per cell along [target, source]; [1, 1] = full resolution. A pooled cell (i, j) holds
   * the mean over its targets of the summed weight on its sources, so rows still sum to 1.
   */
  bin: [number, number];
  /** Per-map scale, length B·H (for uint8: the map's maximum weight). */
  scale: number[];
  /** Little-endian bytes, base64 (RFC 4648, with padding). */
  data: string;
}

/** Per-head summary metrics of a site (means over valid target rows); arrays of length H. */
export interface HeadMetricsTable {
  /** Attention entropy (nats). */
  entropy: (number | null)[];
  /** Mean attention distance Σⱼ aᵢⱼ·|j − i| (tokens). */
  distance: (number | null)[];
  /** Mean maximum weight per row (probability). */
  confidence: (number | null)[];
}

/** The pattern classifier's label per head. */
export interface HeadPatternLabel {
  /** diagonal, previous, next, induction, vertical, local, block, sparse, broad or mixed. */
  label: string;
  /** The label's score in [0, 1]. */
  confidence: number;
  /** The label with the head's other components, e.g. "previous+sink", "previous+next" (absent in older payloads: show `label`). */
  combined?: string;
  /** Share of bootstrap resamples giving the same label, in [0, 1]. */
  support?: number;
  /** The head as a mixture: pattern (or "sink") and its weight. */
  components?: { pattern: string; weight: number }[];
}

/** One attention block of one layer, with its maps. */
export interface PayloadSite {
  /** `${stack}.${kind}.${layer}`, e.g. `decoder.cross.2`. */
  id: string;
  stack: Stack;
  kind: AttentionKind;
  /** 0-based layer within its stack and kind. */
  layer: number;
  heads: number;
  causal: boolean;
  /** Stream of the rows (targets, queries) and of the columns (sources, keys). */
  rows: StreamName;
  cols: StreamName;
  /**
   * Index in `tokens[rows].text` of the first row (absent = 0). A decoder step with a key/value
   * cache has S > T: its columns are every position so far and its rows only the T newest, which
   * start at S − T of the same stream.
   */
  rowOffset?: number;
  /** [B, H, T, S] of the maps before any pooling (after a token range cut). */
  dims: [number, number, number, number];
  /** Weights at full resolution, or pooled to the encoder's `maxTokens`; absent when not selected. */
  maps?: EncodedMaps;
  /** Pooled maps for the head grid (≤ `overviewTokens` cells per axis); absent when `maps` is small. */
  overview?: EncodedMaps;
  metrics?: HeadMetricsTable;
  /** Length H. */
  patterns?: HeadPatternLabel[];
}

/** Rollout or attention flow: one map per sample, from top-layer tokens (rows) to input tokens. */
export interface PayloadProbe {
  method: "rollout" | "flow";
  stack: Stack;
  /** Layers combined, bottom first. */
  layers: number[];
  /** How heads were fused per layer. */
  fusion: string;
  rows: StreamName;
  cols: StreamName;
  /** Maps with H = 1: [B, 1, T, S]. Rows sum to 1 (shares of the input tokens). */
  maps: EncodedMaps;
  /** Encoder–decoder rollout: the share routed to encoder tokens, [B, 1, T, S_enc] (rows: target, cols: source). */
  cross?: EncodedMaps;
}

export interface AttentionPayload {
  v: 1;
  /** A caption for the views (model name, input). */
  title?: string;
  /** Number of samples B. */
  samples: number;
  tokens: Partial<Record<StreamName, TokenStream>>;
  /** Sites in (stack, layer) order: encoder before decoder; self before cross within a layer. */
  sites: PayloadSite[];
  probes?: { rollout?: PayloadProbe; flow?: PayloadProbe };
  /** Human-readable notes on what was left out or pooled, and why. */
  notes?: string[];
  /** Vision models: the pictures and how the source tokens tile them (the patch-grid view reads it). */
  image?: PayloadImage;
  /**
   * Long inputs: finer views of the maps than `maps`, precomputed at a few zoom levels (reports and
   * static outputs have no kernel to ask). Absent in older payloads and short inputs.
   */
  tiles?: PayloadTiles;
}

/**
 * A tile pyramid: per zoom level, the maps of chosen (site, sample, head) cut into square tiles of
 * `size` cells. The heatmap shows the finest level that covers the window the user zoomed to.
 */
export interface PayloadTiles {
  /** Cells per tile side (tiles at the map's last row or column are smaller). */
  size: number;
  /** Zoom levels, coarsest first. */
  levels: PayloadTileLevel[];
}

export interface PayloadTileLevel {
  /**
   * Tokens per cell along [target, source]; [1, 1] = exact weights. Pooled as `EncodedMaps.bin`
   * says (mean over targets of the summed weight on the sources, so rows sum to 1).
   */
  bin: [number, number];
  tiles: PayloadTile[];
}

export interface PayloadTile {
  /** The site's id (`PayloadSite.id`). */
  site: string;
  /** Sample index in this payload (0 … samples − 1). */
  sample: number;
  head: number;
  /**
   * Map row and column (in the site's T × S positions) of the tile's first cell: multiples of
   * size · bin. The tile covers rows [origin[0], min(T, origin[0] + size · bin[0])), same for columns.
   */
  origin: [number, number];
  /** The tile's cells: dims [1, 1, ty, tx], `bin` equal to the level's, its own scale. */
  maps: EncodedMaps;
}

/**
 * The input images of a vision model's run and the patch grid over them: source position
 * `prefix + r·cols + c` is patch (r, c); the first `prefix` positions are [CLS]-like tokens.
 */
export interface PayloadImage {
  /** One `data:image/png;base64,…` per sample: what the model saw (after resize and crop). */
  urls: string[];
  /** Picture size in px. */
  width: number;
  height: number;
  /** Patches per column and per row. */
  rows: number;
  cols: number;
  /** Tokens before the patches ([CLS] = 1). */
  prefix: number;
}
