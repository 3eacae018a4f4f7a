/**
 * Row blocks of a RowSource (result/lazy.ts) as small sites the metric pass already knows: one
 * sample's rows [r0, r1), all heads, as a [1, H, r1 − r0, S] SiteAttention with its own geometry
 * (the site's geometry cut to those target rows: same sources, masks, tokens and segments; the
 * causal offset moved by r0). Every per-row computation of the full pass (scan.ts, the sink
 * post-pass, head fusion) then runs unchanged on each block, so block results are those rows of
 * the full pass. How many rows a block holds follows from a byte budget.
 */
import { AttnlensError } from "../../../errors";
import type { LazySite, RowSource } from "../../../result/lazy";
import type { AttentionResult, SiteAttention, SiteLabel } from "../../../result/types";
import { labelGeometry, type SiteGeometry, sampleGeometryOf, siteGeometryOf } from "../geometry";
import type { MetricsOptions } from "../types";

/** Default bytes of probabilities asked of the source at once (one block: rows × heads × sources × 4). */
export const DEFAULT_BLOCK_BYTES = 64 * 1024 * 1024;

/** What streamed metrics read besides the maps: a LazyResult or an AttentionResult has all of it. */
export type RowContext = Partial<Pick<AttentionResult, "masks" | "tokens" | "inputIds" | "segments">>;

/** Options of the streamed passes: the byte budget of one row block. */
export interface BlockOptions {
  /**
   * Most bytes of probabilities asked of the row source at once (default 64 MiB): a block holds
   * ⌊blockBytes / (heads · sources · 4)⌋ target rows of one sample, at least one.
   */
  blockBytes?: number;
}

/** Target rows per block of a [B, H, T, S] site within the budget (at least 1, at most T). */
export function blockRows(dims: readonly number[], blockBytes = DEFAULT_BLOCK_BYTES): number {
  if (typeof blockBytes !== "number" || !(blockBytes > 0) || !Number.isFinite(blockBytes))
    throw new AttnlensError("BAD_INPUT", `blockBytes must be a positive number of bytes, got ${String(blockBytes)}`);
  const [, H, T, S] = dims;
  return Math.max(1, Math.min(T, Math.floor(blockBytes / (H * S * 4))));
}

/** The label of a lazy site (what SiteMetrics.site holds). */
export function siteLabel(site: LazySite): SiteLabel {
  const { dims: _dims, mode: _mode, reason: _reason, bytes: _bytes, ...label } = site;
  return label;
}

function checkDims(site: LazySite): void {
  const { dims, id } = site;
  if (!Array.isArray(dims) || dims.length !== 4 || dims.some((d) => !Number.isInteger(d) || d <= 0))
    throw new AttnlensError(
      "BAD_INPUT",
      `site ${id}: dims must be four positive integers [batch, heads, target, source], got ${JSON.stringify(dims)}`,
    );
}

/** The context as the result the geometry reads (its sites are the source's; no map is read). */
export function contextResult(source: RowSource, context: RowContext): AttentionResult {
  const empty = new Float32Array(0);
  return {
    sites: source.sites.map((s) => ({ ...s, data: empty })),
    provider: "",
    fallbacks: [],
    masks: context.masks ?? {},
    outputs: {},
    ...(context.tokens ? { tokens: context.tokens } : {}),
    ...(context.inputIds ? { inputIds: context.inputIds } : {}),
    ...(context.segments ? { segments: context.segments } : {}),
  };
}

/** The site's geometry from its label and dims, after the same structural checks as a full site. */
export function lazySiteGeometry(result: AttentionResult, site: LazySite, options: MetricsOptions): SiteGeometry {
  checkDims(site);
  return labelGeometry(result, site, options);
}

/** Sample b's rows [r0, r1) of the site's geometry, as the geometry of a [1, H, r1 − r0, S] site. */
export function blockGeometry(geo: SiteGeometry, b: number, r0: number, r1: number): SiteGeometry {
  const [, H, , S] = geo.dims;
  const g = geo.samples[b];
  const targetValid = g.targetValid.subarray(r0, r1);
  const sample = sampleGeometryOf({
    ...g,
    targetValid,
    targetSegment: g.targetSegment ? g.targetSegment.subarray(r0, r1) : null,
    position: g.position.subarray(r0, r1),
    validTargets: targetValid.reduce((n, v) => n + v, 0),
  });
  return siteGeometryOf({
    ...geo,
    dims: [1, H, r1 - r0, S],
    offset: geo.offset + r0,
    samples: [sample],
    origin: { sample: b, row: r0 },
  });
}

/** One block of rows: sample b, rows [r0, r1), as a site and its geometry. */
export interface SiteBlock {
  b: number;
  r0: number;
  r1: number;
  site: SiteAttention;
  geo: SiteGeometry;
}

/** Every row block of the site, sample by sample, top to bottom: asked of the source one at a time. */
export async function* siteBlocks(
  source: RowSource,
  site: LazySite,
  geo: SiteGeometry,
  blockBytes?: number,
): AsyncGenerator<SiteBlock> {
  const [B, H, T, S] = site.dims;
  const rows = blockRows(site.dims, blockBytes);
  for (let b = 0; b < B; b++) {
    for (let r0 = 0; r0 < T; r0 += rows) {
      const r1 = Math.min(T, r0 + rows);
      const block = await source.rows(site.id, b, [r0, r1]);
      const R = r1 - r0;
      if (block.data.length !== H * R * S || block.heads.length !== H)
        throw new AttnlensError(
          "BAD_INPUT",
          `site ${site.id}: the row source answered sample ${b}, rows [${r0}, ${r1}) with ${block.heads.length} heads ` +
            `and ${block.data.length} weights; expected ${H} heads and ${H * R * S}`,
        );
      const blockSite = {
        ...siteLabel(site),
        data: block.data,
        dims: [1, H, R, S] as [number, number, number, number],
      };
      yield { b, r0, r1, site: blockSite, geo: blockGeometry(geo, b, r0, r1) };
    }
  }
}

/** Lets the event loop run (between sites: the kernel and the views stay responsive). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
