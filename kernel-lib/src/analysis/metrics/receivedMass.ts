/**
 * Attention received per source: Σᵢ aᵢⱼ over the valid target rows, Float32Array [B, H, S]
 * (probability mass; divide by the valid rows for a share). A separate pass: accumulating it in
 * the metric pass made that pass 30 % slower for a value few callers need.
 */
import type { AttentionResult, SiteAttention } from "../../result/types";
import { siteGeometry, visibleLimit } from "./geometry";
import type { MetricsOptions } from "./types";

/** Attention each source token receives, Σᵢ aᵢⱼ over valid target rows: `Float32Array` of shape `[B, H, S]`. */
export function receivedMass(result: AttentionResult, site: SiteAttention, options: MetricsOptions = {}): Float32Array {
  const geo = siteGeometry(result, site, options);
  const [B, H, T, S] = geo.dims;
  const out = new Float32Array(B * H * S);
  const column = new Float64Array(S);
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    for (let h = 0; h < H; h++) {
      column.fill(0);
      for (let i = 0; i < T; i++) {
        if (!g.targetValid[i]) continue;
        const base = ((b * H + h) * T + i) * S;
        const limit = visibleLimit(geo, i);
        for (let j = 0; j < limit; j++) if (g.sourceValid[j]) column[j] += site.data[base + j];
      }
      out.set(column, (b * H + h) * S);
    }
  }
  return out;
}
