/**
 * The host side of in-graph metrics: one session run that fetches only the small metric outputs
 * (never the maps), read back into the metrics module's types.
 */
import type * as ort from "onnxruntime-node";
import { headSummary } from "../../analysis/metrics/headMetrics";
import type { Rollout } from "../../analysis/metrics/rollout";
import type { HeadMetrics, RowMetricKey, RowMetrics } from "../../analysis/metrics/types";
import { AttnlensError } from "../../errors";
import type { Feeds } from "../../run/feeds";
import { firstLine } from "../../run/session";
import type { InGraphPlan } from "./plan";
import { ROW_METRICS } from "./rowMetrics";
import type { MeasuredSite, MeasureOptions, MeasureResult } from "./types";

type Planned = InGraphPlan["sites"][number];

function chosenSites(plan: InGraphPlan, ids?: readonly string[]): Planned[] {
  if (!ids) return plan.sites;
  const byId = new Map(plan.sites.map((p) => [p.site.id, p]));
  return ids.map((id) => {
    const p = byId.get(id);
    if (!p) throw new AttnlensError("BAD_INPUT", `no site "${id}"; sites are: ${[...byId.keys()].join(", ")}`);
    return p;
  });
}

function fetchNames(sites: Planned[], plan: InGraphPlan, options: MeasureOptions): string[] {
  const names = sites.flatMap(({ outputs: o }) => [
    o.info,
    o.sources,
    o.heads,
    ...(options.rows === false ? [] : [o.rows]),
  ]);
  if (options.rollout) {
    if (plan.rollout.length === 0) {
      throw new AttnlensError(
        "BAD_INPUT",
        "measure({ rollout: true }): no rollout was built for this model (it takes past keys, has no self-attention " +
          "sites, holds two towers in one stack like CLIP, or was opened with inGraphMetrics: { rollout: false }); " +
          "use rollout(await model.run(feeds)) instead (for one tower: { fromLayer, toLayer })",
      );
    }
    for (const r of plan.rollout) names.push(r.data, r.ok, ...(r.cross ? [r.cross.data] : []));
  }
  return names;
}

/** Row metrics as views into the fetched [K, B, H, T] tensor; token-based masses are NaN. */
function rowMetrics(rows: Float32Array, per: number, sources: Int32Array): RowMetrics {
  const view = (name: (typeof ROW_METRICS)[number]) => {
    const k = ROW_METRICS.indexOf(name);
    return rows.subarray(k * per, (k + 1) * per);
  };
  const undefinedRows = () => new Float32Array(per).fill(Number.NaN);
  return {
    entropy: view("entropy"),
    normalizedEntropy: view("normalizedEntropy"),
    distance: view("distance"),
    signedDistance: view("signedDistance"),
    confidence: view("confidence"),
    self: view("self"),
    previous: view("previous"),
    next: view("next"),
    first: view("first"),
    cls: undefinedRows(),
    sep: undefinedRows(),
    punctuation: undefinedRows(),
    sink: undefinedRows(),
    segment: view("segment"),
    sources,
  };
}

/** [K, H] means → HeadMetrics, with the reference's conventions for rows that define nothing. */
function headMetrics(means: Float32Array, heads: number, validRows: number): HeadMetrics[] {
  const computed: readonly RowMetricKey[] = ROW_METRICS;
  return Array.from({ length: heads }, (_, h) =>
    headSummary(h, validRows, (name) => {
      const k = computed.indexOf(name);
      // Token-based masses (cls, sep, punctuation, sink) are not computed in graph.
      const v = k < 0 ? Number.NaN : means[k * heads + h];
      return Number.isNaN(v) ? null : v;
    }),
  );
}

function measuredSite({ site, outputs }: Planned, out: ort.InferenceSession.OnnxValueMapType): MeasuredSite {
  const info = Array.from(out[outputs.info].data as BigInt64Array, Number);
  const dims = info.slice(0, 4) as [number, number, number, number];
  const [B, H, T] = dims;
  const sources = out[outputs.sources].data as Int32Array;
  let validRows = 0;
  for (const n of sources) if (n > 0) validRows++;
  const rows = out[outputs.rows] ? rowMetrics(out[outputs.rows].data as Float32Array, B * H * T, sources) : undefined;
  const { output: _o, existingOutput: _e, softmaxAxis: _a, legacySoftmax: _l, ...label } = site;
  return {
    site: { ...label, heads: H, causal: info[4] === 1 },
    dims,
    heads: headMetrics(out[outputs.heads].data as Float32Array, H, validRows),
    ...(rows ? { rows } : {}),
  };
}

function rollouts(plan: InGraphPlan, out: ort.InferenceSession.OnnxValueMapType): MeasureResult["rollout"] {
  const result: NonNullable<MeasureResult["rollout"]> = {};
  for (const r of plan.rollout) {
    const t = out[r.data];
    if (!t) continue;
    if (Number((out[r.ok].data as BigInt64Array)[0]) !== 1) {
      throw new AttnlensError(
        "BAD_INPUT",
        `measure({ rollout: true }): the ${r.stack}'s layers ${r.layers.join(", ")} have maps of different shapes ` +
          "(windowed attention such as Swin's stages), so they do not chain into one rollout; roll out layers " +
          "of one shape on the host: rollout(await model.run(feeds), { fromLayer, toLayer })",
      );
    }
    const rollout: Rollout = {
      stack: r.stack,
      layers: r.layers,
      fusion: "mean",
      dims: t.dims as [number, number, number],
      data: t.data as Float32Array,
    };
    if (r.cross) {
      const c = out[r.cross.data];
      rollout.cross = {
        dims: c.dims as [number, number, number],
        data: c.data as Float32Array,
        encoderLayers: r.cross.encoderLayers,
      };
    }
    result[r.stack] = rollout;
  }
  return result;
}

export async function measureSession(
  session: ort.InferenceSession,
  provider: string,
  plan: InGraphPlan,
  feeds: Feeds,
  options: MeasureOptions,
): Promise<Omit<MeasureResult, "fallbacks" | "provider">> {
  const sites = chosenSites(plan, options.sites);
  const names = fetchNames(sites, plan, options);
  let out: ort.InferenceSession.OnnxValueMapType;
  try {
    out = await session.run(feeds, names);
  } catch (e) {
    throw new AttnlensError("RUN_FAILED", `onnxruntime (${provider}) failed to run the model: ${firstLine(e)}`);
  }
  let bytes = 0;
  for (const n of names) bytes += (out[n].data as ArrayBufferView).byteLength;
  return {
    sites: sites.map((p) => measuredSite(p, out)),
    ...(options.rollout ? { rollout: rollouts(plan, out) } : {}),
    transfer: { outputs: names, bytes },
  };
}
