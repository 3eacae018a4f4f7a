/**
 * Weights → a viridis PNG data URL: one pixel per cell, colour = weight / max (0 → dark, max →
 * yellow). When a cell would be smaller than a screen pixel, blocks of fy × fx cells become one
 * pixel holding their maximum, so peaks stay visible and the image stays near screen size.
 */
import { VIRIDIS_PALETTE } from "./palette";
import { indexedPng, pngDataUrl } from "./png";

export interface CellWindow {
  rows: [number, number];
  cols: [number, number];
}

/**
 * @param values R×C row-major weights
 * @param max the weight drawn brightest (values above are clamped)
 * @param window the cells to draw (default all)
 * @param pool cells per pixel along [rows, cols] (default [1, 1])
 */
export function rasterUrl(
  values: Float32Array,
  R: number,
  C: number,
  max: number,
  window?: CellWindow,
  pool: [number, number] = [1, 1],
): string {
  const [r0, r1] = window?.rows ?? [0, R];
  const [c0, c1] = window?.cols ?? [0, C];
  const [fy, fx] = pool;
  const w = Math.max(1, Math.ceil((c1 - c0) / fx));
  const h = Math.max(1, Math.ceil((r1 - r0) / fy));
  const peak = new Float32Array(w * h);
  for (let r = r0; r < r1; r++) {
    const base = r * C;
    const row = Math.floor((r - r0) / fy) * w;
    for (let c = c0; c < c1; c++) {
      const v = values[base + c];
      const k = row + Math.floor((c - c0) / fx);
      if (v > peak[k]) peak[k] = v;
    }
  }
  const idx = new Uint8Array(w * h);
  const k = max > 0 ? 255 / max : 0;
  for (let i = 0; i < idx.length; i++) {
    const v = peak[i] * k;
    idx[i] = v >= 255 ? 255 : Math.round(v);
  }
  return pngDataUrl(indexedPng(w, h, idx, VIRIDIS_PALETTE));
}
