/**
 * Refusing runs whose attention maps would not fit: B·H·T·S float32 per site adds up fast
 * (BERT-base at 2,048 tokens: 2.4 GB), so the bytes are estimated from the feeds before running.
 *
 * A site whose output shape the model declares ([batch, 12, sequence, sequence]) is sized from it,
 * its symbolic names bound to the feeds' sizes through the inputs that declare the same names.
 * Otherwise target and source lengths come from the usual input names (input_ids,
 * decoder_input_ids, …); a decoder file's cross sites read the source length from the
 * encoder_hidden_states it is fed, and an encoder fed features rather than tokens (Whisper's
 * input_features: 3000 frames, 1500 positions) from the sequence axis of the states it declares
 * as output. Whatever cannot be bound counts as the longest dim of any feed, so renamed inputs
 * overestimate rather than pass as 0 bytes.
 */
import { AttnlensError } from "../errors";
import type { DeclaredDims } from "../graph/sites/graphChecks";
import type { AttentionSite } from "../graph/sites/types";
import { formatBytes } from "../util/bytes";
import type { Feeds, InputSpec } from "./feeds";

/** Default ceiling for the maps one run returns; `maxAttentionBytes` raises or lowers it. */
export const DEFAULT_MAX_ATTENTION_BYTES = 2 * 2 ** 30;

const ENCODER_INPUTS = ["input_ids", "attention_mask", "inputs_embeds", "encoder_attention_mask"];
/** Outputs whose axis 1 is the encoder's sequence (optimum, transformers.js). */
const ENCODER_STATES = ["last_hidden_state", "encoder_last_hidden_state", "encoder_hidden_states"];
const DECODER_INPUTS = ["decoder_input_ids", "decoder_attention_mask", "input_ids"];

/** What the graph says about sizes: the inputs' dim names and the sites' declared output shapes. */
export interface DeclaredShapes {
  inputs: readonly InputSpec[];
  siteShapes: ReadonlyMap<string, DeclaredDims>;
  /** The model's own outputs' declared shapes, by name. */
  outputShapes?: ReadonlyMap<string, DeclaredDims>;
}

const NOTHING_DECLARED: DeclaredShapes = { inputs: [], siteShapes: new Map() };

function lengthOf(feeds: Feeds, names: readonly string[]): number | null {
  for (const n of names) if (feeds[n]?.dims.length >= 2) return feeds[n].dims[1];
  return null;
}

/** Each symbolic dim name of the inputs, bound to the largest size a feed gives it. */
export function bindDimNames(inputs: readonly InputSpec[], feeds: Feeds): Map<string, number> {
  const bound = new Map<string, number>();
  for (const spec of inputs) {
    const t = feeds[spec.name];
    if (!t || !spec.dims || spec.dims.length !== t.dims.length) continue;
    spec.dims.forEach((d, i) => {
      if (typeof d === "string" && d) bound.set(d, Math.max(bound.get(d) ?? 0, t.dims[i]));
    });
  }
  return bound;
}

/**
 * The encoder's sequence length: the encoder states a decoder file is fed, the token inputs, else axis 1 of
 * the encoder states the model declares as output — a size, a bound name or `name / k` (older optimum
 * Whisper exports declare `encoder_sequence_length / 2`).
 */
function encoderLength(
  feeds: Feeds,
  names: Map<string, number>,
  outputs: ReadonlyMap<string, DeclaredDims> | undefined,
): number | null {
  const states = feeds.encoder_hidden_states ?? feeds.encoder_outputs;
  if (states?.dims.length >= 2) return states.dims[1];
  const tokens = lengthOf(feeds, ENCODER_INPUTS);
  if (tokens != null) return tokens;
  for (const name of ENCODER_STATES) {
    const axis = outputs?.get(name)?.[1];
    if (typeof axis === "number" && axis > 0) return axis;
    if (typeof axis !== "string") continue;
    const m = /^\s*([\w.]+)\s*(?:\/\s*(\d+)\s*)?$/.exec(axis);
    const bound = m ? names.get(m[1]) : undefined;
    if (m && bound !== undefined) return Math.ceil(bound / Number(m[2] ?? 1));
  }
  return null;
}

/** The conservative length: the largest dim of any feed, batch (leading) dims aside. */
function longestFeedDim(feeds: Feeds): number {
  let longest = 1;
  for (const t of Object.values(feeds)) for (const d of t.dims.slice(1)) longest = Math.max(longest, d);
  return longest;
}

/** Elements of a declared site shape: [B, H, T, S] or [B·H, T, S]; unbound axes as above. */
function declaredElements(
  shape: DeclaredDims,
  names: Map<string, number>,
  batch: number,
  heads: number,
  longest: number,
): number {
  return shape.reduce<number>((n, d, axis) => {
    if (typeof d === "number" && d > 0) return n * d;
    const bound = typeof d === "string" ? names.get(d) : undefined;
    if (bound !== undefined) return n * bound;
    if (axis === 0) return n * batch * (shape.length === 3 ? heads : 1);
    if (axis === 1 && shape.length === 4 && heads > 1) return n * heads;
    return n * longest;
  }, 1);
}

/** Estimated bytes of the selected sites' maps for these feeds (heads unknown until run count as 1). */
export function estimateAttentionBytes(
  sites: readonly AttentionSite[],
  feeds: Feeds,
  batch: number,
  declared: DeclaredShapes = NOTHING_DECLARED,
): number {
  const names = bindDimNames(declared.inputs, feeds);
  const longest = longestFeedDim(feeds);
  const encoderLen = encoderLength(feeds, names, declared.outputShapes);
  const hasEncoder = sites.some((s) => s.stack === "encoder");
  const decoderLen = hasEncoder || feeds.encoder_hidden_states ? lengthOf(feeds, DECODER_INPUTS) : encoderLen;
  let total = 0;
  for (const s of sites) {
    const heads = Math.max(1, s.heads);
    const shape = declared.siteShapes.get(s.output);
    if (shape && shape.length >= 3) {
      total += declaredElements(shape, names, batch, heads, longest) * 4;
      continue;
    }
    const t = (s.stack === "encoder" ? encoderLen : decoderLen) ?? longest;
    const src = s.kind === "cross" ? (encoderLen ?? longest) : t;
    total += batch * heads * t * src * 4;
  }
  return total;
}

export function checkAttentionSize(
  sites: readonly AttentionSite[],
  feeds: Feeds,
  batch: number,
  limit: number,
  declared: DeclaredShapes = NOTHING_DECLARED,
): void {
  const bytes = estimateAttentionBytes(sites, feeds, batch, declared);
  if (bytes <= limit) return;
  throw new AttnlensError(
    "TOO_LARGE",
    `this run would return ${formatBytes(bytes)} of attention maps (${sites.length} sites, batch ${batch}), over the ${formatBytes(limit)} limit. ` +
      "Lower it with fewer sites (run(feeds, { sites: [...] })), a shorter input or a smaller batch, " +
      "raise the limit with openModel(..., { maxAttentionBytes }) if the memory is there, " +
      'or compute the maps on demand: openModel(..., { maps: "lazy" }) (or "auto") and model.runLazy(feeds), which holds queries and keys instead.',
  );
}
