/**
 * A lazy run: one session run that fetches queries, keys and side tensors (and the maps of sites
 * held full), then a row source that recomputes any row block or tile on demand.
 */
import type * as ort from "onnxruntime-node";
import { AttnlensError } from "../../errors";
import type { CapturePlan, SiteCapture } from "../../graph/lazy/capture";
import type { AttentionSite } from "../../graph/sites/types";
import { toBhts, toFloat32 } from "../../result/layout";
import type { LazyResult, LazySite } from "../../result/lazy";
import type { AttentionResult } from "../../result/types";
import type { OpenedSession } from "../session";
import { firstLine } from "../session";
import { type HeldSite, replayRows, SiteRows } from "./lazyResult";
import type { ReplaySessions } from "./replaySessions";
import { int64Tensor, tensorBytes } from "./tensorSlices";

export interface LazyRunContext {
  opened: OpenedSession;
  capture: CapturePlan;
  replays: ReplaySessions;
  /** The model's own outputs (fetched as run() fetches them). */
  outputs: readonly string[];
  /** The model's maxAttentionBytes: the largest row block one request may compute. */
  maxBytes?: number;
  /** What run() returns besides the sites: masks, ids, provider. */
  common: Omit<AttentionResult, "sites" | "outputs">;
}

export async function runLazy(
  ctx: LazyRunContext,
  feeds: Record<string, ort.Tensor>,
  sites: readonly AttentionSite[],
  batch: number | null,
): Promise<LazyResult> {
  const captures = new Map(ctx.capture.sites.map((c) => [c.site, c]));
  const fetch = new Set<string>(ctx.outputs);
  for (const s of sites) {
    const c = captures.get(s.id);
    if (c?.mode === "lazy") {
      for (const i of c.inputs ?? []) if (!i.constant) fetch.add(i.value);
      for (const pair of c.sameShapes ?? []) for (const v of pair) fetch.add(v);
    } else fetch.add(s.output);
  }
  let out: ort.InferenceSession.OnnxValueMapType;
  try {
    out = await ctx.opened.session.run(feeds, [...fetch]);
  } catch (e) {
    throw new AttnlensError(
      "RUN_FAILED",
      `onnxruntime (${ctx.opened.provider}) failed to run the model: ${firstLine(e)}`,
    );
  }
  checkSharedSides(sites, captures, out);
  const counted = new Set<string>();
  const probed = new Map<string, readonly number[]>();
  const held: HeldSite[] = [];
  for (const site of sites) {
    const c = captures.get(site.id);
    const label = {
      id: site.id,
      stack: site.stack,
      kind: site.kind,
      layer: site.layer,
      heads: site.heads,
      causal: site.causal,
      node: site.node,
      ...(site.inputs ? { inputs: [...site.inputs] } : {}),
    };
    if (c?.mode === "lazy") {
      const values = new Map<string, ort.Tensor>();
      let bytes = 0;
      for (const i of c.inputs ?? []) {
        const t = i.constant ? int64Tensor(i.constant) : (out[i.value] as ort.Tensor);
        values.set(i.slot, t);
        // A tensor shared by sites (one causal mask for all layers) is held once, counted once.
        if (!i.constant && !counted.has(i.value)) {
          counted.add(i.value);
          bytes += tensorBytes(t);
        }
      }
      const q = values.get("q") as ort.Tensor;
      const t = q.dims[q.dims.length - 2];
      // One row tells the map's batch, heads and sources (and checks the replay runs at all); sites
      // with the same chain and input shapes (the layers of most models) share the answer.
      const key = shapeKey(c, values);
      let dims = probed.get(key);
      if (!dims) {
        dims = (await replayRows(site, c, values, ctx.replays, 0, Math.min(1, t), batch)).dims;
        probed.set(key, dims);
      }
      const [b, h, , s] = dims;
      const lazy: LazySite = { ...label, heads: h, dims: [b, h, t, s], mode: "lazy", bytes };
      held.push({ label: lazy, site, capture: c, values });
    } else {
      const tensor = out[site.output] as ort.Tensor;
      const map = toBhts(site, toFloat32(tensor), tensor.dims, batch);
      const reason = c?.reason ?? "no capture was planned for it";
      held.push({
        label: { ...label, heads: map.dims[1], dims: map.dims, mode: "full", reason, bytes: map.data.byteLength },
        site,
        map,
      });
    }
  }
  const outputs: AttentionResult["outputs"] = {};
  for (const name of ctx.outputs) {
    const t = out[name] as ort.Tensor | undefined;
    if (t)
      outputs[name] = { type: t.type, dims: [...t.dims], data: t.data as AttentionResult["outputs"][string]["data"] };
  }
  return lazyResultOf(held, ctx, outputs);
}

/**
 * A side tensor shared between layers (one mask for all) is theirs only if the shapes it was built
 * from (Shape outputs, fetched) agree: refuse the run, naming the values, rather than replay a layer with another's mask.
 */
function checkSharedSides(
  sites: readonly AttentionSite[],
  captures: Map<string, SiteCapture>,
  out: ort.InferenceSession.OnnxValueMapType,
): void {
  for (const s of sites)
    for (const [a, b] of captures.get(s.id)?.sameShapes ?? []) {
      const [x, y] = [Array.from(out[a].data as BigInt64Array), Array.from(out[b].data as BigInt64Array)];
      if (x.join(",") !== y.join(","))
        throw new AttnlensError(
          "RUN_FAILED",
          `site ${s.id} shares a mask with an earlier layer's, built from the shape [${y}] (${b}), but its own is [${x}] (${a}): open the model with maps: "full"`,
        );
    }
}

/** The replay chain's ops (with attributes) and its inputs' shapes (and shape values): what decides the output's dims. */
function shapeKey(c: SiteCapture, values: Map<string, ort.Tensor>): string {
  const ops = JSON.stringify(c.replay?.nodes.map((n) => [n.opType, n.inputs, n.attributes]));
  const inputs = (c.inputs ?? []).map((i) => {
    const t = values.get(i.slot) as ort.Tensor;
    return `${i.slot}:${t.dims.join("x")}${i.role === "shape" ? `=${Array.from(t.data as BigInt64Array).join(",")}` : ""}`;
  });
  return `${ops}|${inputs.join(";")}`;
}

function lazyResultOf(held: HeldSite[], ctx: LazyRunContext, outputs: AttentionResult["outputs"]): LazyResult {
  const rows = new SiteRows(held, ctx.replays, ctx.maxBytes);
  const sites = rows.sites;
  return {
    ...ctx.common,
    outputs,
    sites,
    bytes: sites.reduce((n, s) => n + s.bytes, 0),
    fullBytes: sites.reduce((n, s) => n + s.dims.reduce((a, b) => a * b, 1) * 4, 0),
    rows: (site, batch, r, heads) => rows.rows(site, batch, r, heads),
    tile: (request) => rows.tile(request),
    release: async () => rows.release(),
  };
}
