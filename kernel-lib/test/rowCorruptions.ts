import { DEFAULT_TOLERANCE } from "../src/analysis/metrics/validate";

/** Changes to one row at `base` (S sources) of a site's data. */
export type RowCorruption = (data: Float32Array, base: number, S: number) => void;

/**
 * Rows the float32 kernels must accept or reject exactly as the JavaScript kernel does: bad
 * values, sign bits, and sums on either side of the check's tolerance (the rows their float32
 * blocks could misjudge, which they leave to the JavaScript kernel).
 */
export const ROW_CORRUPTIONS: Array<[string, RowCorruption]> = [
  ["NaN", (d, base) => (d[base] = Number.NaN)],
  ["Infinity in the last column", (d, base, S) => (d[base + S - 1] = Number.POSITIVE_INFINITY)],
  [
    "a negative weight",
    (d, base) => {
      d[base] -= 0.25;
      d[base + 1] += 0.25;
    },
  ],
  ["−0", (d, base) => d[base] === 0 && (d[base] = -0)],
  ["a sum of 1.01", (d, base) => (d[base] += 0.01)],
  ["a sum just inside the tolerance", (d, base) => (d[base] += DEFAULT_TOLERANCE * (1 - 1e-4))],
  ["a sum just outside the tolerance", (d, base) => (d[base] += DEFAULT_TOLERANCE * (1 + 1e-4))],
  [
    "huge weights",
    (d, base) => {
      d[base] = 3e38;
      d[base + 1] = 3e38;
    },
  ],
];
