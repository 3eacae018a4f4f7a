/** Valid-position masks taken from the feeds, so metrics can skip padding. */
import type * as ort from "onnxruntime-node";
import type { PositionMask } from "./types";

const MASKS: [RegExp, "encoder" | "decoder" | "primary"][] = [
  [/^encoder_attention_mask$/, "encoder"],
  [/^decoder_attention_mask$/, "decoder"],
  [/^attention_mask$/, "primary"],
];

/**
 * `attention_mask` belongs to the model's first stack: the encoder when there is one, else the
 * decoder (GPT-style models and optimum's decoder files, where encoder masks are named as such).
 */
export function masksFromFeeds(
  feeds: Record<string, ort.Tensor>,
  primary: "encoder" | "decoder",
): { encoder?: PositionMask; decoder?: PositionMask } {
  const out: { encoder?: PositionMask; decoder?: PositionMask } = {};
  for (const [name, t] of Object.entries(feeds)) {
    const rule = MASKS.find(([re]) => re.test(name));
    if (!rule || t.dims.length !== 2) continue;
    const stack = rule[1] === "primary" ? primary : rule[1];
    if (out[stack] && rule[1] === "primary") continue;
    const src = t.data as ArrayLike<number | bigint>;
    const data = new Uint8Array(src.length);
    for (let i = 0; i < src.length; i++) data[i] = Number(src[i]) !== 0 ? 1 : 0;
    out[stack] = { data, dims: [t.dims[0], t.dims[1]] };
  }
  return out;
}
