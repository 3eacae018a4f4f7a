/**
 * Refusing runs whose attention maps would not fit: B·H·T·S float32 per site adds up fast
 * (BERT-base at 2,048 tokens: 2.4 GB), so the bytes are estimated from the feeds before running.
 */
import { AttnlensError } from "../errors";
import type { AttentionSite } from "../graph/sites/types";
import type { Feeds } from "./feeds";

/** Default ceiling for the maps one run returns; `maxAttentionBytes` raises or lowers it. */
export const DEFAULT_MAX_ATTENTION_BYTES = 2 * 2 ** 30;

const ENCODER_INPUTS = [
  "input_ids",
  "attention_mask",
  "inputs_embeds",
  "encoder_hidden_states",
  "encoder_attention_mask",
];
const DECODER_INPUTS = ["decoder_input_ids", "decoder_attention_mask", "input_ids"];

function lengthOf(feeds: Feeds, names: readonly string[]): number | null {
  for (const n of names) if (feeds[n]?.dims.length >= 2) return feeds[n].dims[1];
  return null;
}

/** Estimated bytes of the selected sites' maps for these feeds (heads unknown until run count as 1). */
export function estimateAttentionBytes(sites: readonly AttentionSite[], feeds: Feeds, batch: number): number {
  const encoderLen = lengthOf(feeds, ENCODER_INPUTS);
  const hasEncoder = sites.some((s) => s.stack === "encoder");
  const decoderLen = hasEncoder || feeds.encoder_hidden_states ? lengthOf(feeds, DECODER_INPUTS) : encoderLen;
  let total = 0;
  for (const s of sites) {
    const t = (s.stack === "encoder" ? encoderLen : decoderLen) ?? 0;
    const src = s.kind === "cross" ? (encoderLen ?? 0) : t;
    total += batch * Math.max(1, s.heads) * t * src * 4;
  }
  return total;
}

export function checkAttentionSize(sites: readonly AttentionSite[], feeds: Feeds, batch: number, limit: number): void {
  const bytes = estimateAttentionBytes(sites, feeds, batch);
  if (bytes <= limit) return;
  const mb = (x: number) => `${(x / 2 ** 20).toFixed(0)} MiB`;
  throw new AttnlensError(
    "TOO_LARGE",
    `this run would return ${mb(bytes)} of attention maps (${sites.length} sites, batch ${batch}), over the ${mb(limit)} limit. ` +
      "Lower it with fewer sites (run(feeds, { sites: [...] })), a shorter input or a smaller batch, " +
      "or raise the limit with openModel(..., { maxAttentionBytes }) if the memory is there.",
  );
}
