/**
 * Which token stream a site's targets and sources live in, and that stream's mask and tokens.
 * Target stream = the site's stack; source stream = the same for self sites, the encoder for
 * cross sites. Masks come from `result.masks[stream]` and tokens from `result.tokens.source`
 * (encoder) or `.target` (decoder). A result with one stream — all sites in one stack and none
 * cross (an encoder-only or decoder-only model) — may have filled the other slot: then that one
 * is used. (An optimum decoder file has only decoder sites but two streams: no fallback there.)
 */
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

/** Mask and tokens of one stream, with the single-stack fallback described above. */
export function streamData(result: AttentionResult, stream: Stack): StreamData {
  let mask = result.masks?.[stream];
  let tokens = result.tokens?.[tokenSlot[stream]];
  let ids = result.inputIds?.[stream];
  let segments = result.segments?.[stream];
  if (singleStack(result)) {
    const o = other(stream);
    mask = mask ?? result.masks?.[o];
    tokens = tokens ?? result.tokens?.[tokenSlot[o]];
    ids = ids ?? result.inputIds?.[o];
    segments = segments ?? result.segments?.[o];
  }
  return { stream, mask, tokens, ids, segments };
}

export function siteStreams(result: AttentionResult, site: SiteLabel): SiteStreams {
  const target = streamData(result, site.stack);
  const source = site.kind === "cross" ? streamData(result, "encoder") : target;
  return { target, source };
}
