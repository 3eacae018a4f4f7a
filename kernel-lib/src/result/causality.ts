/**
 * Whether a map is causal, read from the data: every target i gives (numerically) zero weight to
 * sources after it. With S > T (cached past keys) target i sits at position i + S − T.
 */
const ZERO = 1e-6;

export function looksCausal(data: Float32Array, dims: readonly [number, number, number, number]): boolean | null {
  const [b, h, t, s] = dims;
  if (t < 2 || s < t) return null;
  const offset = s - t;
  for (let m = 0; m < b * h; m++) {
    for (let i = 0; i < t; i++) {
      const row = (m * t + i) * s;
      for (let j = i + offset + 1; j < s; j++) if (data[row + j] > ZERO) return false;
    }
  }
  return true;
}
