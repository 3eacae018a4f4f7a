/**
 * Attention collected while generating: each decoding step contributes the rows of the positions
 * it computed (the prompt at the first step, then the newest position), assembled into ordinary
 * [1, H, T, S] maps; samples generated one by one are then stacked into a padded batch.
 */
import type { AttentionResult, PositionMask, SiteAttention, TokenInfo } from "../../result/types";

export class StepRows {
  /** rows[t][h]: the probabilities of query position t, head h. */
  private readonly rows: Float32Array[][] = [];
  private label: Omit<SiteAttention, "data" | "dims"> | null = null;

  /** Copies query rows [from, to) of sample 0 of `site`. */
  add(site: SiteAttention, from: number, to: number): void {
    const { data, dims, ...label } = site;
    this.label ??= label;
    const [, h, t, s] = dims;
    for (let i = from; i < to; i++) {
      this.rows.push(Array.from({ length: h }, (_, head) => data.slice((head * t + i) * s, (head * t + i + 1) * s)));
    }
  }

  get length(): number {
    return this.rows.length;
  }

  assemble(): SiteAttention {
    if (!this.label) throw new Error("no rows collected");
    const t = this.rows.length;
    const h = this.rows[0].length;
    const s = Math.max(...this.rows.map((r) => r[0].length));
    const data = new Float32Array(h * t * s);
    this.rows.forEach((perHead, i) => perHead.forEach((row, head) => data.set(row, (head * t + i) * s)));
    return { ...this.label, heads: h, data, dims: [1, h, t, s] };
  }
}

/** One generated sample per result (batch 1) → one result whose maps are padded to the longest. */
export function stackResults(
  results: AttentionResult[],
  pad: { source?: TokenInfo; target?: TokenInfo },
): AttentionResult {
  if (results.length === 1) return results[0];
  const first = results[0];
  const sites = first.sites.map((_, k) => stackSite(results.map((r) => r.sites[k])));
  const masks: AttentionResult["masks"] = {};
  for (const stack of ["encoder", "decoder"] as const) {
    const each = results.map((r) => r.masks[stack]);
    if (each.every((m): m is PositionMask => m != null)) masks[stack] = stackMask(each);
  }
  const tokens: AttentionResult["tokens"] = {};
  for (const side of ["source", "target"] as const) {
    const rows = results.map((r) => r.tokens?.[side]?.[0]);
    const padToken = pad[side];
    if (rows.every((x): x is TokenInfo[] => x != null) && padToken) {
      const width = Math.max(...rows.map((r) => r.length));
      tokens[side] = rows.map((r) => [...r, ...Array.from({ length: width - r.length }, () => padToken)]);
    }
  }
  const perStack = (key: "inputIds" | "segments") => {
    const out: NonNullable<AttentionResult["inputIds"]> = {};
    for (const stack of ["encoder", "decoder"] as const) {
      const rows = results.flatMap((r) => r[key]?.[stack] ?? []);
      if (rows.length === results.length) out[stack] = rows;
    }
    return out;
  };
  return { ...first, sites, masks, tokens, inputIds: perStack("inputIds"), segments: perStack("segments") };
}

function stackSite(parts: SiteAttention[]): SiteAttention {
  const h = parts[0].dims[1];
  const t = Math.max(...parts.map((p) => p.dims[2]));
  const s = Math.max(...parts.map((p) => p.dims[3]));
  const data = new Float32Array(parts.length * h * t * s);
  parts.forEach((p, b) => {
    const [, , pt, ps] = p.dims;
    for (let head = 0; head < h; head++) {
      for (let i = 0; i < pt; i++) {
        const src = p.data.subarray((head * pt + i) * ps, (head * pt + i + 1) * ps);
        data.set(src, ((b * h + head) * t + i) * s);
      }
    }
  });
  return { ...parts[0], data, dims: [parts.length, h, t, s] };
}

function stackMask(masks: PositionMask[]): PositionMask {
  const width = Math.max(...masks.map((m) => m.dims[1]));
  const data = new Uint8Array(masks.length * width);
  masks.forEach((m, b) => data.set(m.data.subarray(0, m.dims[1]), b * width));
  return { data, dims: [masks.length, width] };
}
