/** Choosing the sites of a stack by layer range, with errors that list what exists. */
import { AttnlensError } from "../../errors";
import type { AttentionKind, SiteAttention, SiteLabel, Stack } from "../../result/types";

/** A range of layers, both ends inclusive. */
export interface LayerRange {
  /** First layer (inclusive, default the lowest). */
  fromLayer?: number;
  /** Last layer (inclusive, default the highest). */
  toLayer?: number;
}

/** The sites of one stack and kind in layer order, within `range`; a full result's or a row source's. */
export function stackSites<Site extends SiteLabel & { dims: readonly number[] } = SiteAttention>(
  result: { sites: readonly Site[] },
  stack: Stack,
  kind: AttentionKind,
  range: LayerRange = {},
): Site[] {
  const all = result.sites.filter((s) => s.stack === stack && s.kind === kind).sort((a, b) => a.layer - b.layer);
  const from = range.fromLayer ?? Number.NEGATIVE_INFINITY;
  const to = range.toLayer ?? Number.POSITIVE_INFINITY;
  const chosen = all.filter((s) => s.layer >= from && s.layer <= to);
  if (kind === "self" && chosen.length === 0) {
    const have = all.map((s) => s.layer).join(", ") || "none";
    throw new AttnlensError(
      "BAD_INPUT",
      `no ${stack} ${kind}-attention sites in layers [${range.fromLayer ?? "first"}, ${range.toLayer ?? "last"}]; layers present: ${have}`,
    );
  }
  const dims = chosen[0]?.dims;
  for (const s of chosen) {
    if (s.dims[0] !== dims[0] || s.dims[2] !== dims[2] || s.dims[3] !== dims[3]) {
      throw new AttnlensError(
        "BAD_INPUT",
        `site ${s.id}: dims [${s.dims.join(", ")}] differ from ${chosen[0].id} [${dims.join(", ")}]; layers must share batch and tokens; ` +
          "choose layers of one shape with fromLayer / toLayer (a two-tower model like CLIP has one run of layers per tower)",
      );
    }
  }
  return chosen;
}

/** The stack to use when none is named: the decoder when it has self sites, else the encoder. */
export function defaultStack(result: { sites: readonly SiteLabel[] }): Stack {
  return result.sites.some((s) => s.stack === "decoder" && s.kind === "self") ? "decoder" : "encoder";
}
