/**
 * Which token stream a site's targets and sources live in, and that stream's mask and tokens.
 * Target stream = the site's stack; source stream = the same for self sites, the encoder for
 * cross sites. Masks come from `result.masks[stream]` and tokens from `result.tokens.source`
 * (encoder) or `.target` (decoder). A result with one stream — all sites in one stack and none
 * cross (an encoder-only or decoder-only model) — may have filled the other slot: then that one
 * is used, where its length fits the sites. (An optimum decoder file has only decoder sites but two streams: no fallback there.)
 * The self sites of an image or audio tower beside a text one (CLIP) get no mask or ids from the
 * text's feeds (result/textFeeds.ts).
 */
import { readsTextFeeds } from "../../result/textFeeds";
import type { AttentionResult, PositionMask, SiteLabel, Stack, TokenInfo } from "../../result/types";

export interface StreamData {
  stream: Stack;
  mask?: PositionMask;
  tokens?: TokenInfo[][];
  /** Token ids and segment ids per sample from the feeds (result.inputIds / result.segments). */
  ids?: Int32Array[];
  segments?: Int32Array[];
}

export interface SiteStreams {
  target: StreamData;
  source: StreamData;
}

const tokenSlot = { encoder: "source", decoder: "target" } as const;

function other(stream: Stack): Stack {
  return stream === "encoder" ? "decoder" : "encoder";
}

/** One token stream only: every site in one stack and none attending across (cross sites mean two). */
function singleStack(result: AttentionResult): boolean {
  const stacks = new Set(result.sites.map((s) => s.stack));
  return stacks.size <= 1 && result.sites.every((s) => s.kind === "self");
}

/**
 * The other slot's data, where it can describe the sites: of the length of their positions (a
 * two-stream result whose cross sites were filtered out keeps the encoder's mask in its slot,
 * and it does not fit the decoder's positions).
 */
function fallbackOf(result: AttentionResult, stream: Stack): Omit<StreamData, "stream"> {
  const o = other(stream);
  const lengths = new Set(result.sites.flatMap((s) => [s.dims[2], s.dims[3]]));
  const fits = <V>(value: V | undefined, length: (v: V) => number | undefined): V | undefined => {
    const n = value === undefined ? undefined : length(value);
    return n !== undefined && lengths.has(n) ? value : undefined;
  };
  return {
    mask: fits(result.masks?.[o], (m) => m.dims[1]),
    tokens: fits(result.tokens?.[tokenSlot[o]], (t) => t[0]?.length),
    ids: fits(result.inputIds?.[o], (ids) => ids[0]?.length),
    segments: fits(result.segments?.[o], (ids) => ids[0]?.length),
  };
}

/** Mask and tokens of one stream, with the single-stack fallback described above. */
export function streamData(result: AttentionResult, stream: Stack): StreamData {
  let mask = result.masks?.[stream];
  let tokens = result.tokens?.[tokenSlot[stream]];
  let ids = result.inputIds?.[stream];
  let segments = result.segments?.[stream];
  if (singleStack(result)) {
    const fallback = fallbackOf(result, stream);
    mask = mask ?? fallback.mask;
    tokens = tokens ?? fallback.tokens;
    ids = ids ?? fallback.ids;
    segments = segments ?? fallback.segments;
  }
  return { stream, mask, tokens, ids, segments };
}

/** The stream's data without what the feeds gave (mask, ids, segments): tokens stay (a vision run's patch tokens). */
function withoutTextFeeds(data: StreamData): StreamData {
  return { stream: data.stream, tokens: data.tokens };
}

export function siteStreams(result: AttentionResult, site: SiteLabel): SiteStreams {
  let target = streamData(result, site.stack);
  // An image or audio tower's self site (CLIP's vision tower): the text's mask and ids are not its own.
  if (site.kind === "self" && !readsTextFeeds(site)) target = withoutTextFeeds(target);
  const source = site.kind === "cross" ? streamData(result, "encoder") : target;
  return { target, source };
}
