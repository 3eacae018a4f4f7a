/** Payloads for the browser tests and the benchmark, encoded by kernel-lib from synthetic results. */
import { encodePayload, type PayloadOptions } from "../../kernel-lib/src/output/payload";
import { type SampleOptions, sampleResult } from "../../kernel-lib/src/output/payload/sample";
import type { AttentionPayload } from "../../widgets/src/payload/types";

export function payloadOf(sample: SampleOptions, options: PayloadOptions = {}): AttentionPayload {
  return JSON.parse(JSON.stringify(encodePayload(sampleResult(sample), options)));
}

/** Tokens that would run script if they ever reached innerHTML. */
export const HOSTILE = ["<img src=x onerror=alert(1)>", '"><script>alert(2)</script>', "<b>bold</b>", "&amp;"];
