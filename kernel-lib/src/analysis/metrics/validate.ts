/**
 * Input checks with messages that say where the problem is and what to do. Structural checks
 * (dims, masks, tokens) run before any pass; row checks (NaN, sums, masked mass) run inside the
 * metric pass itself, so valid data costs no extra pass over the weights.
 */
import { AttnlensError } from "../../errors";
import type { PositionMask, SiteAttention, TokenInfo } from "../../result/types";

/** Default allowed |row sum − 1|: float16 models round each weight by up to 2⁻¹¹ relative. */
export const DEFAULT_TOLERANCE = 1e-3;

export function checkSiteShape(site: SiteAttention): void {
  const { dims, data, id } = site;
  if (!Array.isArray(dims) || dims.length !== 4 || dims.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new AttnlensError(
      "BAD_INPUT",
      `site ${id}: dims must be four positive integers [batch, heads, target, source], got ${JSON.stringify(dims)}`,
    );
  }
  const [B, H, T, S] = dims;
  if (!(data instanceof Float32Array)) throw new AttnlensError("BAD_INPUT", `site ${id}: data must be a Float32Array`);
  if (data.length !== B * H * T * S) {
    throw new AttnlensError(
      "BAD_INPUT",
      `site ${id}: dims [${dims.join(", ")}] need ${B * H * T * S} weights but data has ${data.length}; ` +
        "fix dims or pass the full [batch, heads, target, source] map",
    );
  }
  if (site.heads > 0 && site.heads !== H) {
    throw new AttnlensError(
      "BAD_INPUT",
      `site ${id}: the site says ${site.heads} heads but dims[1] is ${H}; fix one of them`,
    );
  }
}

/** Mask of `length` positions per sample; a self site with a KV cache (T < S) may pass the S-long mask. */
export function checkMask(id: string, what: string, mask: PositionMask, batch: number, lengths: number[]): void {
  const [b, len] = mask.dims;
  if (b !== batch || !lengths.includes(len) || mask.data.length !== b * len) {
    throw new AttnlensError(
      "BAD_INPUT",
      `site ${id}: the ${what} mask has dims [${mask.dims.join(", ")}] (${mask.data.length} values) but the map needs ` +
        `[${batch}, ${lengths[0]}]; pass the attention mask of the feeds that produced this result`,
    );
  }
}

export function checkTokens(id: string, what: string, tokens: TokenInfo[][], batch: number, length: number): void {
  if (tokens.length !== batch) {
    throw new AttnlensError(
      "BAD_INPUT",
      `site ${id}: ${tokens.length} ${what} token lists for a batch of ${batch}; pass one list per sample`,
    );
  }
  tokens.forEach((list, b) => {
    if (list.length !== length) {
      throw new AttnlensError(
        "BAD_INPUT",
        `site ${id}, sample ${b}: ${list.length} ${what} tokens but the map has ${length} ${what} positions; ` +
          "tokens must cover every position, padding included (pad the list with the [PAD] tokens)",
      );
    }
  });
}

/** Where a bad row is, in words. */
export function rowPlace(id: string, b: number, h: number, i: number): string {
  return `site ${id}, sample ${b}, head ${h}, target row ${i}`;
}

export function rowError(place: string, total: number, negative: boolean, masked: number, tolerance: number): Error {
  if (!Number.isFinite(total)) {
    return new AttnlensError(
      "BAD_INPUT",
      `${place}: the weights contain NaN or Infinity; a fully masked row gives NaN in some runtimes: ` +
        "mark that position as padding in the mask, or check the model's masking",
    );
  }
  if (negative)
    return new AttnlensError(
      "BAD_INPUT",
      `${place}: a weight is negative; pass probabilities (after Softmax), not scores`,
    );
  if (Math.abs(total - 1) > tolerance) {
    return new AttnlensError(
      "BAD_INPUT",
      `${place}: the weights sum to ${total.toPrecision(6)}, not 1 ± ${tolerance}; pass probabilities ` +
        "(after Softmax, not logits), or raise options.tolerance for low-precision models",
    );
  }
  return new AttnlensError(
    "BAD_INPUT",
    `${place}: ${masked.toPrecision(4)} of the mass sits on masked or future sources; check that the masks ` +
      "match the feeds and that site.causal is right",
  );
}

/** A sample index chosen by an option, inside the batch. */
export function checkSample(what: string, sample: number | undefined, batch: number): void {
  if (sample !== undefined && !(Number.isInteger(sample) && sample >= 0 && sample < batch)) {
    throw new AttnlensError("BAD_INPUT", `${what}: sample ${sample} is outside the batch [0, ${batch})`);
  }
}
