import { describe, expect, it } from "vitest";
import { seededRandom } from "../util/random";
import { looksCausal } from "./causality";
import type { PositionMask } from "./types";

type Dims = [number, number, number, number];

/** Left-padded batch: sample b has `lengths[b]` real tokens at the end of T positions. */
function leftMask(lengths: number[], T: number): PositionMask {
  const data = new Uint8Array(lengths.length * T);
  lengths.forEach((n, b) => data.fill(1, b * T + T - n, (b + 1) * T));
  return { data, dims: [lengths.length, T] };
}

/**
 * A causal map over a left-padded batch, as a decoder computes it: real query i spreads random weight
 * over the real keys j ≤ i; a padded query's row is `padRow` — transformers 5's eager attention gives
 * it uniform weight over every source (its keys are all masked), −inf masks give NaN.
 */
function leftPaddedCausal(lengths: number[], H: number, T: number, padRow: "uniform" | "nan"): Float32Array {
  const rand = seededRandom(7);
  const data = new Float32Array(lengths.length * H * T * T);
  lengths.forEach((n, b) => {
    for (let h = 0; h < H; h++)
      for (let i = 0; i < T; i++) {
        const row = data.subarray(((b * H + h) * T + i) * T, ((b * H + h) * T + i + 1) * T);
        if (i < T - n) {
          row.fill(padRow === "uniform" ? 1 / T : Number.NaN);
          continue;
        }
        let sum = 0;
        for (let j = T - n; j <= i; j++) sum += row[j] = 0.1 + rand();
        for (let j = T - n; j <= i; j++) row[j] /= sum;
      }
  });
  return data;
}

describe("looksCausal", () => {
  const lengths = [6, 3, 1];
  const dims: Dims = [3, 2, 6, 6];
  const mask = leftMask(lengths, 6);

  it("reads a left-padded causal batch as causal once the padded query rows are left out", () => {
    const data = leftPaddedCausal(lengths, 2, 6, "uniform");
    // The padded rows look ahead: read without the mask the map is not causal (the bug this fixes).
    expect(looksCausal(data, dims)).toBe(false);
    expect(looksCausal(data, dims, mask)).toBe(true);
    expect(looksCausal(leftPaddedCausal(lengths, 2, 6, "nan"), dims, mask)).toBe(true);
  });

  it("still finds a real query that looks ahead", () => {
    const data = leftPaddedCausal(lengths, 2, 6, "uniform");
    // Sample 1, head 1, its first real query (row 3) gives weight to the key after it.
    const row = ((1 * 2 + 1) * 6 + 3) * 6;
    data[row + 3] = 0.6;
    data[row + 4] = 0.4;
    expect(looksCausal(data, dims, mask)).toBe(false);
  });

  it("reads the target rows as the mask's last T positions when keys are cached (S > T)", () => {
    // Two new queries after four cached keys, the mask over all six: sample 0 has one real token (the
    // last), sample 1 five. Only the mask's last two positions say which target rows are real.
    const cached: Dims = [2, 1, 2, 6];
    const m = leftMask([1, 5], 6);
    const data = new Float32Array(2 * 2 * 6);
    data.fill(1 / 6, 0, 6); // sample 0, row 0 (position 4): padding, uniform
    data.set([0, 0, 0, 0, 0, 1], 6);
    data.set([0, 0.25, 0.25, 0.25, 0.25, 0], 12); // sample 1, row 0 (position 4): real keys 1..4
    data.set([0, 0.2, 0.2, 0.2, 0.2, 0.2], 18);
    expect(looksCausal(data, cached, m)).toBe(true);
    // Sample 1's row 0 looks ahead; read from the mask's first positions it would pass for padding.
    data.set([0, 0.2, 0.2, 0.2, 0.2, 0.2], 12);
    expect(looksCausal(data, cached, m)).toBe(false);
  });

  it("leaves the verdict to the graph when no real query has a later source to check", () => {
    // Every sample has one real token, the last: no row can show whether it looks ahead.
    const data = leftPaddedCausal([1, 1], 1, 4, "uniform");
    expect(looksCausal(data, [2, 1, 4, 4], leftMask([1, 1], 4))).toBeNull();
    expect(looksCausal(new Float32Array(2), [1, 1, 1, 2])).toBeNull(); // one target row
  });

  it("ignores a mask that does not fit the map", () => {
    const data = leftPaddedCausal(lengths, 2, 6, "uniform");
    const wrongBatch = leftMask([6, 3], 6);
    const tooShort = leftMask([3, 3, 1], 3);
    expect(looksCausal(data, dims, wrongBatch)).toBe(false);
    expect(looksCausal(data, dims, tooShort)).toBe(false);
  });

  it("reads a right-padded batch, whose padded queries come last, the same with or without the mask", () => {
    // Right padding: padded queries see every real key before them, so their rows are causal too.
    const T = 5;
    const data = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = 0; j <= Math.min(i, 2); j++) data[i * T + j] = 1 / (Math.min(i, 2) + 1);
    const right: PositionMask = { data: Uint8Array.of(1, 1, 1, 0, 0), dims: [1, T] };
    expect(looksCausal(data, [1, 1, T, T])).toBe(true);
    expect(looksCausal(data, [1, 1, T, T], right)).toBe(true);
  });
});
