/**
 * Pooling maps into bins of tokens for overviews and long inputs. Cell (I, J) is the mean over the
 * valid targets of bin I of the weight summed over the sources of bin J, so pooled rows still sum
 * to 1 (probability mass per source bin). Padding targets are left out of the mean.
 */

export interface PooledMaps {
  data: Float32Array;
  dims: [number, number, number, number];
  bin: [number, number];
}

/** Tokens per bin so that `length` tokens fit in at most `cells` bins. */
export function binSize(length: number, cells: number): number {
  return Math.max(1, Math.ceil(length / Math.max(1, cells)));
}

/**
 * @param validRows per sample, 1 for a valid target position (length T); all valid when absent.
 */
export function poolMaps(
  data: Float32Array,
  dims: [number, number, number, number],
  bin: [number, number],
  validRows?: ArrayLike<number>[],
): PooledMaps {
  const [B, H, T, S] = dims;
  const [by, bx] = bin;
  const Ty = Math.ceil(T / by);
  const Sx = Math.ceil(S / bx);
  const out = new Float32Array(B * H * Ty * Sx);
  const counts = new Float64Array(Ty);
  for (let b = 0; b < B; b++) {
    const valid = validRows?.[b];
    counts.fill(0);
    for (let t = 0; t < T; t++) if (!valid || valid[t]) counts[Math.floor(t / by)]++;
    for (let h = 0; h < H; h++) {
      const src = (b * H + h) * T * S;
      const dst = (b * H + h) * Ty * Sx;
      for (let t = 0; t < T; t++) {
        if (valid && !valid[t]) continue;
        const row = dst + Math.floor(t / by) * Sx;
        const base = src + t * S;
        for (let s = 0; s < S; s++) out[row + Math.floor(s / bx)] += data[base + s];
      }
      for (let i = 0; i < Ty; i++) {
        const n = counts[i];
        if (n > 1) for (let j = 0; j < Sx; j++) out[dst + i * Sx + j] /= n;
      }
    }
  }
  return { data: out, dims: [B, H, Ty, Sx], bin };
}

/** Keeps samples `samples` and the [rows) × [cols) window of every map. */
export function cropMaps(
  data: Float32Array,
  dims: [number, number, number, number],
  samples: number[],
  rows: [number, number],
  cols: [number, number],
): { data: Float32Array; dims: [number, number, number, number] } {
  const [, H, T, S] = dims;
  const [r0, r1] = rows;
  const [c0, c1] = cols;
  if (samples.length === dims[0] && r0 === 0 && r1 === T && c0 === 0 && c1 === S) return { data, dims };
  const nr = r1 - r0;
  const nc = c1 - c0;
  const out = new Float32Array(samples.length * H * nr * nc);
  samples.forEach((b, k) => {
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < nr; t++) {
        const from = ((b * H + h) * T + r0 + t) * S + c0;
        out.set(data.subarray(from, from + nc), ((k * H + h) * nr + t) * nc);
      }
    }
  });
  return { data: out, dims: [samples.length, H, nr, nc] };
}
