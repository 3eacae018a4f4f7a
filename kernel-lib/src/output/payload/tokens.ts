/**
 * The token streams of a payload. The encoder input is the `source` stream, the decoder input the
 * `target` stream (as in `AttentionResult.tokens`); a site's rows live in its own stack's stream and
 * its columns in the same one (self) or the encoder's (cross). Runs without a tokenizer get
 * position numbers as text.
 */
import type { StreamName, TokenStream } from "@attnlens/widgets";
import { streamData } from "../../analysis/metrics/streams";
import { AttnlensError } from "../../errors";
import type { AttentionResult, SiteLabel, Stack } from "../../result/types";

export const STREAM_OF: Record<Stack, StreamName> = { encoder: "source", decoder: "target" };

export function siteAxes(site: SiteLabel): { rows: StreamName; cols: StreamName } {
  return { rows: STREAM_OF[site.stack], cols: site.kind === "cross" ? "source" : STREAM_OF[site.stack] };
}

/**
 * Where a site's rows start in its rows stream: S − T for a self site read with a key/value cache
 * (S > T: the keys are every position so far, the queries the T newest), else 0.
 */
export function rowOffsetOf(site: SiteLabel & { dims: readonly number[] }): number {
  const [, , t, s] = site.dims;
  return site.kind === "self" && s > t ? s - t : 0;
}

/** Length of each stream, from the sites' dims; throws when two sites disagree. */
export function streamLengths(result: AttentionResult): Partial<Record<StreamName, number>> {
  const lengths: Partial<Record<StreamName, number>> = {};
  const seen: Partial<Record<StreamName, string>> = {};
  const note = (stream: StreamName, n: number, id: string) => {
    if (lengths[stream] === undefined) {
      lengths[stream] = n;
      seen[stream] = id;
    } else if (lengths[stream] !== n) {
      throw new AttnlensError(
        "BAD_INPUT",
        `encodePayload: site ${id} has ${n} ${stream} positions but ${seen[stream]} has ${lengths[stream]}; ` +
          "the views need one length per stream: show sites of one length (model.run(feeds, { sites: [...] }); " +
          "a two-tower model like CLIP has one length per tower)",
      );
    }
  };
  for (const site of result.sites) {
    const { rows, cols } = siteAxes(site);
    // A cached step's rows are the last T of its S positions: the stream is S long.
    note(rows, site.dims[2] + rowOffsetOf(site), site.id);
    note(cols, site.dims[3], site.id);
  }
  return lengths;
}

/** Clips [start, end) to [0, length). */
export function clipRange(range: [number, number] | undefined, length: number): [number, number] {
  if (!range) return [0, length];
  const start = Math.max(0, Math.min(length, Math.floor(range[0])));
  const end = Math.max(start, Math.min(length, Math.ceil(range[1])));
  return [start, end];
}

export function tokenStream(
  result: AttentionResult,
  stream: StreamName,
  length: number,
  samples: number[],
  range: [number, number],
): TokenStream {
  const data = streamData(result, stream === "source" ? "encoder" : "decoder");
  const mask = data.mask;
  const [start, end] = range;
  const text: string[][] = [];
  const special: number[][] = [];
  const padding: number[][] = [];
  for (const b of samples) {
    const toks = data.tokens?.[b];
    const row: string[] = [];
    const sp: number[] = [];
    const pad: number[] = [];
    for (let p = start; p < end; p++) {
      const tok = toks?.[p];
      row.push(tok ? tok.text : String(p));
      if (tok?.special) sp.push(p - start);
      if (mask && p < mask.dims[1] && !mask.data[b * mask.dims[1] + p]) pad.push(p - start);
    }
    text.push(row);
    special.push(sp);
    padding.push(pad);
  }
  const out: TokenStream = { start, text, special, padding };
  if (!data.tokens || data.tokens.some((t) => t.length < length)) out.synthetic = true;
  return out;
}
