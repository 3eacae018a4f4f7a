/** A model opened for attention extraction: its sites, and `run` returning every map. */
import type * as ort from "onnxruntime-node";
import { AttnlensError } from "../errors";
import { measureSession } from "../graph/ingraph/measure";
import type { InGraphPlan } from "../graph/ingraph/plan";
import type { MeasureOptions, MeasureResult } from "../graph/ingraph/types";
import type { CapturePlan } from "../graph/lazy/capture";
import { type GraphChecks, NO_GRAPH_CHECKS } from "../graph/sites/graphChecks";
import type { AttentionSite, RejectedSoftmax } from "../graph/sites/types";
import type { MapsMode } from "../graph/surgery/attentionGraph";
import type { SiteValueNormPlan } from "../graph/surgery/valueNorms";
import { looksCausal } from "../result/causality";
import { idsFromFeeds } from "../result/inputIds";
import { toBhts, toFloat32 } from "../result/layout";
import type { LazyResult } from "../result/lazy";
import { masksFromFeeds } from "../result/masks";
import { readsTextFeeds } from "../result/textFeeds";
import type { AttentionResult, ProviderFallback, SiteAttention, SiteValueNorms } from "../result/types";
import { batchSize, type Feeds, type InputSpec, validateFeeds } from "./feeds";
import { checkIdRanges } from "./idRanges";
import { ReplaySessions } from "./lazy/replaySessions";
import { runLazy } from "./lazy/runLazy";
import { OutputPlan } from "./outputPlan";
import { checkPastFeeds } from "./pastFeeds";
import type { OpenedSession } from "./session";
import { firstLine } from "./session";
import { checkAttentionSize, DEFAULT_MAX_ATTENTION_BYTES } from "./sizeGuard";

/** Options of `AttentionModel.run`. */
export interface RunOptions {
  /** Only these site ids (default: all). Others are still computed by the graph, but not copied. */
  sites?: readonly string[];
}

/**
 * An ONNX model whose attention probabilities are graph outputs (from `openModel`): `run(feeds)` returns the
 * model's outputs and every site's map `[batch, heads, target, source]`.
 */
export class AttentionModel {
  private readonly plan = new OutputPlan();

  constructor(
    /** Every attention site, in (stack, layer) order. */
    readonly sites: readonly AttentionSite[],
    /** The inputs `run` needs, as the model declares them. */
    readonly inputs: readonly InputSpec[],
    /** The model's own outputs (attention outputs added by attnlens are not listed). */
    readonly outputs: readonly string[],
    private opened: OpenedSession,
    /** Softmax nodes judged not to be attention, and fused ops that cannot be exposed, with reasons. */
    readonly skipped: readonly RejectedSoftmax[] = [],
    /** Refuse runs whose maps would exceed this many bytes (see sizeGuard). */
    readonly maxAttentionBytes = DEFAULT_MAX_ATTENTION_BYTES,
    /** The metric subgraphs appended when opened with `inGraphMetrics` (see ingraph/). */
    private readonly inGraph?: InGraphPlan,
    /** Embedding sizes and declared site shapes, for checking feeds before the run. */
    private readonly checks: GraphChecks = NO_GRAPH_CHECKS,
    /** The value-norm outputs per site, when opened with `valueNorms` (graph/surgery/valueNorms.ts). */
    private readonly valueNorms?: readonly SiteValueNormPlan[],
    /** With `maps: "lazy" | "auto"`: how each site is recomputed on demand (graph/lazy/capture.ts). */
    private readonly lazy?: {
      maps: MapsMode;
      capture: CapturePlan;
      sessionOptions?: ort.InferenceSession.SessionOptions;
    },
  ) {}

  /** The provider the session runs on. */
  get provider(): string {
    return this.opened.provider;
  }

  /** Providers tried before it, and why each was not used. */
  get fallbacks(): readonly ProviderFallback[] {
    return this.opened.fallbacks;
  }

  /**
   * Runs the model on tensors named as the model's inputs; checks them first (names, types, shapes, the
   * attention size guard) and returns the outputs with each site's attention.
   */
  async run(feeds: Feeds, options: RunOptions = {}): Promise<AttentionResult> {
    if (this.lazy?.maps === "lazy")
      throw new AttnlensError(
        "BAD_INPUT",
        'this model was opened with maps: "lazy", which outputs no maps: use runLazy(feeds), or open it with maps: "auto"',
      );
    checkPastFeeds(this.inputs, feeds); // before the generic check: its message says what a cache must be
    validateFeeds(this.inputs, feeds);
    checkIdRanges(this.checks.idTables, feeds);
    const wanted = options.sites ? this.selectSites(options.sites) : this.sites;
    const batch = batchSize(feeds);
    checkAttentionSize(wanted, feeds, batch ?? 1, this.maxAttentionBytes, {
      inputs: this.inputs,
      siteShapes: this.checks.siteShapes,
      outputShapes: this.checks.outputShapes,
    });
    const planned = (this.valueNorms ?? []).filter((p) => wanted.some((s) => s.id === p.site));
    const norms = planned.filter((p) => p.output);
    const missingNorms = planned
      .filter((p) => !p.output)
      .map((p) => ({ site: p.site, reason: p.note ?? "no value vectors found" }));
    const attentionOutputs = [
      ...new Set([...wanted.map((s) => s.output), ...norms.map((p) => p.output as string)]),
    ].filter((n) => !this.outputs.includes(n));
    const out = await this.runSession(feeds, attentionOutputs);
    const primary = this.sites.some((s) => s.stack === "encoder") ? "encoder" : "decoder";
    const masks = masksFromFeeds(feeds, primary);
    const sites: SiteAttention[] = wanted.map((site) => {
      const t = out[site.output] as ort.Tensor;
      const { data, dims } = toBhts(site, toFloat32(t), t.dims, batch);
      // Padded queries (left padding puts them first) must not decide: their rows are noise.
      const queryMask = readsTextFeeds(site) ? masks[site.stack] : undefined;
      const causal = looksCausal(data, dims, queryMask) ?? site.causal;
      return {
        id: site.id,
        stack: site.stack,
        kind: site.kind,
        layer: site.layer,
        heads: dims[1],
        causal,
        node: site.node,
        ...(site.inputs ? { inputs: [...site.inputs] } : {}),
        data,
        dims,
      };
    });
    const modelOutputs: AttentionResult["outputs"] = {};
    const siteOutputs = new Set(this.sites.map((s) => s.output));
    for (const name of this.outputs) {
      const t = siteOutputs.has(name) ? undefined : (out[name] as ort.Tensor | undefined);
      if (t)
        modelOutputs[name] = {
          type: t.type,
          dims: [...t.dims],
          data: t.data as AttentionResult["outputs"][string]["data"],
        };
    }
    return {
      sites,
      provider: this.provider,
      fallbacks: [...this.fallbacks],
      masks,
      ...idsFromFeeds(feeds, primary),
      outputs: modelOutputs,
      ...(this.valueNorms ? { valueNorms: valueNormsOf(norms, out) } : {}),
      ...(missingNorms.length > 0 ? { valueNormsMissing: missingNorms } : {}),
    };
  }

  /**
   * Per-row and per-head metrics (and rollout) computed inside the graph on the session's
   * provider; only those small tensors are fetched, never the maps. Needs `inGraphMetrics`.
   */
  async measure(feeds: Feeds, options: MeasureOptions = {}): Promise<MeasureResult> {
    if (!this.inGraph) {
      throw new AttnlensError(
        "BAD_INPUT",
        "measure() needs the metric subgraphs: open the model with openModel(source, { inGraphMetrics: true })",
      );
    }
    validateFeeds(this.inputs, feeds);
    checkIdRanges(this.checks.idTables, feeds);
    const measured = await measureSession(this.opened.session, this.provider, this.inGraph, feeds, options);
    return { ...measured, provider: this.provider, fallbacks: [...this.fallbacks] };
  }

  /**
   * Runs the model keeping, per site, what its probabilities are recomputed from (queries, keys,
   * masks, position bias) instead of the maps: memory O(T·d) per site rather than O(T²). Row
   * blocks and tiles come from the result's `rows()` / `tile()`. Needs `maps: "lazy" | "auto"`.
   */
  async runLazy(feeds: Feeds, options: RunOptions = {}): Promise<LazyResult> {
    if (!this.lazy)
      throw new AttnlensError(
        "BAD_INPUT",
        'runLazy() needs the captured queries and keys: open the model with openModel(source, { maps: "lazy" }) or { maps: "auto" }',
      );
    checkPastFeeds(this.inputs, feeds);
    validateFeeds(this.inputs, feeds);
    checkIdRanges(this.checks.idTables, feeds);
    const wanted = options.sites ? this.selectSites(options.sites) : this.sites;
    const batch = batchSize(feeds);
    // Sites held full still return their map: those must fit.
    const full = new Set(this.lazy.capture.sites.filter((c) => c.mode === "full").map((c) => c.site));
    const fullSites = wanted.filter((s) => full.has(s.id));
    if (fullSites.length)
      checkAttentionSize(fullSites, feeds, batch ?? 1, this.maxAttentionBytes, {
        inputs: this.inputs,
        siteShapes: this.checks.siteShapes,
        outputShapes: this.checks.outputShapes,
      });
    this.replays ??= new ReplaySessions(this.opened.provider, this.lazy.sessionOptions);
    const primary = this.sites.some((s) => s.stack === "encoder") ? "encoder" : "decoder";
    return runLazy(
      {
        opened: this.opened,
        capture: this.lazy.capture,
        replays: this.replays,
        maxBytes: this.maxAttentionBytes,
        outputs: this.outputs.filter((n) => !this.sites.some((s) => s.output === n)),
        common: {
          provider: this.provider,
          fallbacks: [...this.fallbacks],
          masks: masksFromFeeds(feeds, primary),
          ...idsFromFeeds(feeds, primary),
        },
      },
      feeds,
      wanted,
      batch,
    );
  }

  private replays?: ReplaySessions;

  /**
   * Runs with pre-allocated attention outputs (scratch kept between runs, see outputPlan.ts) when
   * their dims are known; retries once without.
   */
  private async runSession(feeds: Feeds, attentionOutputs: string[]): Promise<ort.InferenceSession.OnnxValueMapType> {
    const own = Object.fromEntries(this.outputs.map((n) => [n, null]));
    const planned = this.plan.fetches(feeds, attentionOutputs);
    const preallocated = Object.values(planned).some((t) => t !== null);
    try {
      const out = await this.opened.session.run(feeds, { ...own, ...planned });
      this.plan.release(planned, out); // the maps returned must never be scratch the next run overwrites
      this.plan.learn(feeds, attentionOutputs, out);
      return out;
    } catch (e) {
      if (preallocated) {
        // Dims that depend on values rather than shapes would land here: run without a plan.
        this.plan.forget(feeds);
        return this.runSession(feeds, attentionOutputs);
      }
      throw new AttnlensError("RUN_FAILED", `onnxruntime (${this.provider}) failed to run the model: ${firstLine(e)}`);
    }
  }

  private selectSites(ids: readonly string[]): AttentionSite[] {
    const byId = new Map(this.sites.map((s) => [s.id, s]));
    return ids.map((id) => {
      const s = byId.get(id);
      if (!s)
        throw new AttnlensError("BAD_INPUT", `no site "${id}"; sites are: ${this.sites.map((x) => x.id).join(", ")}`);
      return s;
    });
  }

  /** Frees the onnxruntime session. */
  async release(): Promise<void> {
    await this.replays?.release();
    await this.opened.session.release();
  }
}

/** The fetched norm outputs as the result's per-site records. */
function valueNormsOf(
  plans: readonly SiteValueNormPlan[],
  out: ort.InferenceSession.OnnxValueMapType,
): SiteValueNorms[] {
  return plans.map((p) => {
    const t = out[p.output as string] as ort.Tensor;
    return {
      site: p.site,
      kind: p.kind as SiteValueNorms["kind"],
      dims: [t.dims[0], t.dims[1], t.dims[2]],
      data: t.data as Float32Array,
      ...(p.note ? { note: p.note } : {}),
    };
  });
}
