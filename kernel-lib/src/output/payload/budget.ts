/**
 * The payload size guard. Notebooks keep every output in the .ipynb file and browsers hold the
 * decoded maps in memory, so a payload above the limit is refused before any encoding work, with a
 * message naming the limit and the options that shrink it.
 */

import type { MapDtype } from "@attnlens/widgets";
import { AttnlensError } from "../../errors";
import { formatBytes } from "../../util/bytes";
import { base64Length, bytesPerValue } from "./quantize";

/** Default limit on the encoded payload (JSON text), bytes: 32 MiB. */
export const PAYLOAD_MAX_BYTES = 32 * 1024 * 1024;

/** Encoded bytes of a [B, H, Ty, Sx] block: base64 data plus about 12 characters per scale. */
export function blockBytes(dims: [number, number, number, number], dtype: MapDtype): number {
  const [B, H, T, S] = dims;
  return base64Length(B * H * T * S * bytesPerValue(dtype)) + 12 * B * H + 80;
}

/**
 * Size of a value as JSON text in UTF-8, the bytes a notebook output or a file holds. Not the
 * string's length: that counts UTF-16 code units, and a token such as "注意" is 2 of those but 6 bytes.
 */
export function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value));
}

/** Bytes of a string in UTF-8. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

export function checkBudget(
  bytes: number,
  limit: number,
  largest: { id: string; bytes: number; tokens: number },
  dtype: MapDtype,
): void {
  if (bytes <= limit) return;
  const pool = Math.max(16, 2 ** Math.floor(Math.log2(largest.tokens * Math.sqrt(limit / bytes))));
  throw new AttnlensError(
    "TOO_LARGE",
    `encodePayload: the payload would be ${formatBytes(bytes)}, above the limit of ${formatBytes(limit)} (maxBytes); ` +
      `the largest site is ${largest.id} (${formatBytes(largest.bytes)}, ${largest.tokens} tokens). Lower it with ` +
      `maxTokens: ${pool} (pool maps into token bins), sites: ["${largest.id}", …] (full maps for chosen sites only; ` +
      `the others keep pooled overviews), samples: [0], or tokenRange: [start, end)` +
      (dtype === "float16" ? `, or quantization: "uint8" (half the size)` : "") +
      "; or raise maxBytes.",
  );
}
