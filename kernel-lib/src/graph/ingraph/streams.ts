/**
 * Which graph inputs the metric subgraphs read: each stream's padding mask and segment ids, and
 * the batch size. The names, and the order of preference, are those the host uses on the feeds
 * (result/masks.ts, result/inputIds.ts, model/feeds.ts batchSize, metrics/streams.ts), so the
 * graph and the reference see the same masks.
 */

import type { Stack } from "../../result/types";
import type { ValueInfo } from "../onnx/model";
import { DataType } from "../onnx/schema";
import type { AttentionSite } from "../sites/types";

export interface StreamInputs {
  /** Graph input holding the stream's 0/1 padding mask, [B, L]. */
  mask?: string;
  /** Graph input holding the stream's segment ids (token_type_ids), [B, L]. */
  segments?: string;
}

export interface GraphInputs {
  streams: Record<Stack, StreamInputs>;
  /** A graph input whose leading dim is the batch size (splits heads folded into the batch). */
  batch?: string;
}

const BATCH_PREFERRED = ["input_ids", "decoder_input_ids", "input_features", "pixel_values", "inputs_embeds"];
const INTEGER = new Set<number | null>([DataType.INT64, DataType.INT32]);

/** Rank 2, or unknown (the host checks the fed tensor; the graph trusts the declaration). */
function matrixLike(v: ValueInfo): boolean {
  return v.shape == null || v.shape.length === 2;
}

export function graphInputs(inputs: readonly ValueInfo[], sites: readonly AttentionSite[]): GraphInputs {
  const byName = new Map(inputs.map((v) => [v.name, v]));
  const usable = (name: string) => {
    const v = byName.get(name);
    return v && matrixLike(v) ? name : undefined;
  };
  const primary: Stack = sites.some((s) => s.stack === "encoder") ? "encoder" : "decoder";
  const streams: Record<Stack, StreamInputs> = { encoder: {}, decoder: {} };
  // An explicitly named mask wins over attention_mask, as in masksFromFeeds.
  streams.encoder.mask = usable("encoder_attention_mask");
  streams.decoder.mask = usable("decoder_attention_mask");
  streams[primary].mask ??= usable("attention_mask");
  const segments = byName.get("token_type_ids");
  if (segments && matrixLike(segments) && (segments.elemType == null || INTEGER.has(segments.elemType))) {
    streams[primary].segments = segments.name;
  }
  if (new Set(sites.map((s) => s.stack)).size <= 1 && !sites.some((s) => s.kind === "cross")) {
    // One stack only: a mask filed under the other stream is this one's (metrics/streams.ts). Not
    // with cross attention: there the encoder mask describes the encoder's tokens, not these.
    const [a, b] = [streams.encoder, streams.decoder];
    a.mask ??= b.mask;
    b.mask ??= a.mask;
    a.segments ??= b.segments;
    b.segments ??= a.segments;
  }
  const rankAtLeast2 = (v: ValueInfo | undefined) => v != null && (v.shape == null || v.shape.length >= 2);
  const batch =
    BATCH_PREFERRED.find((n) => rankAtLeast2(byName.get(n))) ??
    inputs.find((v) => v.shape != null && v.shape.length >= 2)?.name;
  return { streams, batch };
}
