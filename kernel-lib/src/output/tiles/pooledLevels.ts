/**
 * Pooling one (site, sample)'s maps at several bin sizes at once, from row blocks streamed in any
 * order: memory is the pooled levels, never the T × S map. The pooling is payload/pool.ts's: cell
 * (I, J) = mean over the valid targets of row bin I of the weight summed over the sources of column
 * bin J, so pooled rows still sum to 1. Padding targets are left out of the mean.
 */
import type { RowBlock } from "../../result/lazy";

/** One pooled level of all heads: data[(h·Ty + i)·Sx + j], dims [H, Ty, Sx]. */
export interface PooledLevel {
  bin: [number, number];
  dims: [number, number, number];
  data: Float32Array;
}

export class PooledLevels {
  readonly levels: PooledLevel[];
  private readonly counts: Float64Array[];
  private finished = false;

  /**
   * @param dims [H, T, S] of the map (all heads of one sample)
   * @param bins tokens per cell along [target, source], one per level
   * @param validRows 1 for a valid target row (length T); all valid when absent
   */
  constructor(
    private readonly dims: [number, number, number],
    bins: [number, number][],
    private readonly validRows?: ArrayLike<number>,
  ) {
    const [H, T, S] = dims;
    this.levels = bins.map((bin) => {
      const Ty = Math.ceil(T / bin[0]);
      const Sx = Math.ceil(S / bin[1]);
      return { bin, dims: [H, Ty, Sx], data: new Float32Array(H * Ty * Sx) };
    });
    this.counts = this.levels.map((l) => {
      const c = new Float64Array(l.dims[1]);
      for (let t = 0; t < T; t++) if (!validRows || validRows[t]) c[Math.floor(t / l.bin[0])]++;
      return c;
    });
  }

  /** Adds a block of rows of every head (block.heads must be all heads in order). */
  add(block: Pick<RowBlock, "rows" | "heads" | "data">): void {
    const [H, , S] = this.dims;
    const [r0, r1] = block.rows;
    const n = r1 - r0;
    block.heads.forEach((h, k) => {
      if (h < 0 || h >= H) throw new Error(`PooledLevels: head ${h} out of range`);
      for (let t = r0; t < r1; t++) {
        if (this.validRows && !this.validRows[t]) continue;
        const base = (k * n + (t - r0)) * S;
        for (const level of this.levels) {
          const [, Ty, Sx] = level.dims;
          const [by, bx] = level.bin;
          const row = (h * Ty + Math.floor(t / by)) * Sx;
          const out = level.data;
          for (let j = 0, s = 0; j < Sx; j++) {
            const end = Math.min(S, s + bx);
            let acc = 0;
            for (; s < end; s++) acc += block.data[base + s];
            out[row + j] += acc;
          }
        }
      }
    });
  }

  /** Divides the sums by the valid rows per bin (once); returns the levels. */
  finish(): PooledLevel[] {
    if (this.finished) return this.levels;
    this.finished = true;
    this.levels.forEach((level, k) => {
      const [H, Ty, Sx] = level.dims;
      const counts = this.counts[k];
      for (let h = 0; h < H; h++)
        for (let i = 0; i < Ty; i++) {
          const c = counts[i];
          if (c > 1) for (let j = 0; j < Sx; j++) level.data[(h * Ty + i) * Sx + j] /= c;
        }
    });
    return this.levels;
  }
}
