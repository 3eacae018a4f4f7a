/** Token ids and segment ids taken from the feeds, per stack and sample. */
import type * as ort from "onnxruntime-node";
import type { Stack } from "./types";

const IDS: [string, Stack | "primary"][] = [
  ["decoder_input_ids", "decoder"],
  ["input_ids", "primary"],
];
const SEGMENTS: [string, Stack | "primary"][] = [["token_type_ids", "primary"]];

function rows(t: ort.Tensor): Int32Array[] {
  const [b, l] = t.dims;
  const src = t.data as ArrayLike<number | bigint>;
  return Array.from({ length: b }, (_, i) => Int32Array.from({ length: l }, (_, j) => Number(src[i * l + j])));
}

function collect(feeds: Record<string, ort.Tensor>, rules: [string, Stack | "primary"][], primary: Stack) {
  const out: Partial<Record<Stack, Int32Array[]>> = {};
  for (const [name, where] of rules) {
    const t = feeds[name];
    if (t?.dims.length !== 2 || !(t.type === "int64" || t.type === "int32")) continue;
    const stack = where === "primary" ? primary : where;
    out[stack] ??= rows(t);
  }
  return out;
}

export function idsFromFeeds(feeds: Record<string, ort.Tensor>, primary: Stack) {
  return { inputIds: collect(feeds, IDS, primary), segments: collect(feeds, SEGMENTS, primary) };
}
