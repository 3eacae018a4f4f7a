/**
 * `excludeSinks`: distance, signed distance and confidence with the sink tokens (start tokens of
 * causal models, `specialTokens.sink`) left out and each row renormalised over its other visible
 * sources, m = Σ_{j non-sink} aᵢⱼ:
 *   distance = Σ_{non-sink} aᵢⱼ|j − pᵢ| / m,  signed = Σ_{non-sink} aᵢⱼ(j − pᵢ) / m,  confidence = max_{non-sink} aᵢⱼ / m,
 * NaN where m = 0 (e.g. the first row of a decoder, which sees only its start token). Voita et
 * al. (2019) leave EOS out of confidence the same way. A post-pass over the rows of samples that
 * have sinks, in float64 (the metric pass keeps its single read for everything else); the pattern
 * classifier still reads the pass's own rows.
 */
import type { SiteAttention } from "../../result/types";
import { type SiteGeometry, visibleLimit } from "./geometry";
import type { RowMetrics } from "./types";

/** Rows with distance, signed distance and confidence over non-sink sources; the other fields shared. */
export function excludeSinkRows(site: SiteAttention, geo: SiteGeometry, rows: RowMetrics): RowMetrics {
  const [B, H, T, S] = geo.dims;
  const data = site.data;
  const out = {
    ...rows,
    distance: rows.distance.slice(),
    signedDistance: rows.signedDistance.slice(),
    confidence: rows.confidence.slice(),
  };
  const isSink = new Uint8Array(S);
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    const sinks = g.special?.sink;
    if (!sinks || sinks.length === 0) continue;
    isSink.fill(0);
    for (const j of sinks) isSink[j] = 1;
    for (let i = 0; i < T; i++) {
      if (!g.targetValid[i]) continue;
      const limit = visibleLimit(geo, i);
      const p = g.position[i];
      for (let h = 0; h < H; h++) {
        const r = (b * H + h) * T + i;
        const base = r * S;
        let mass = 0;
        let distance = 0;
        let signed = 0;
        let max = 0;
        for (let j = 0; j < limit; j++) {
          if (!g.sourceValid[j] || isSink[j]) continue;
          const a = data[base + j];
          mass += a;
          distance += a * Math.abs(j - p);
          signed += a * (j - p);
          if (a > max) max = a;
        }
        out.distance[r] = mass > 0 ? distance / mass : Number.NaN;
        out.signedDistance[r] = mass > 0 ? signed / mass : Number.NaN;
        out.confidence[r] = mass > 0 ? max / mass : Number.NaN;
      }
    }
  }
  return out;
}
