/**
 * Attention rollout (Abnar & Zuidema 2020). Per layer ℓ, Âℓ = normalize((1 − r)·Āℓ + r·I) with Āℓ
 * the heads fused by mean, max or min (aggregate.ts) and r the residual weight (`residual`,
 * default 0.5 as in the paper); from the first chosen layer up,
 *   R = Â_top · … · Â_first,  R[i, j] = share of top-layer token i that derives from input token j.
 *
 * Encoder–decoder models (decoder stack with cross sites): the encoder is rolled out over its
 * own self layers, R_enc [S×S]. The decoder tracks two parts whose rows together sum to 1:
 * R_dd [T×T] over decoder input tokens and R_de [T×S] over encoder input tokens, starting at
 * (I, 0). A decoder self layer maps both: R_dd ← Â·R_dd, R_de ← Â·R_de. A cross layer keeps r
 * on the decoder stream (its residual) and routes 1 − r through the encoder:
 *   R_dd ← r·R_dd,   R_de ← r·R_de + (1 − r)·Ā_cross·R_enc.
 * `data` is R_dd ([B, T, T]); `cross.data` is R_de ([B, T, S], raw shares: a row sums to
 * 1 − (that row of R_dd)).
 */
import { AttnlensError } from "../../errors";
import type { AttentionResult, SiteAttention, Stack } from "../../result/types";
import { type Fusion, fuseWithGeometry } from "./aggregate";
import { type SiteGeometry, sharedGeometry } from "./geometry";
import { checkedHeadSums, fuseAndCheckOnOrt } from "./host/rolloutHost";
import { rolloutInOneRun } from "./host/rolloutRun";
import { rolloutStepOnOrt } from "./host/rolloutStep";
import { defaultStack, type LayerRange, stackSites } from "./layers";
import { multiply, multiplyJs, residualAdjusted } from "./residual";
import { scanSite } from "./scan";
import type { MetricsOptions } from "./types";
import { DEFAULT_TOLERANCE } from "./validate";
import { wasmMultiply } from "./wasm/matmul";

export interface RolloutOptions extends MetricsOptions, LayerRange {
  /** Default: the decoder when it has self sites, else the encoder. */
  stack?: Stack;
  fusion?: Fusion;
  heads?: number[];
  /** Encoder layers rolled out before cross attention joins (default: all). */
  encoderLayers?: LayerRange;
  /**
   * Weight r of the residual connection, 0 ≤ r ≤ 1: Â = normalize((1 − r)·Ā + r·I). Default 0.5
   * (Abnar & Zuidema 2020); 0 multiplies the raw maps, 1 gives the identity.
   */
  residual?: number;
}

/**
 * Attention rollout of one stack: `data` of shape `dims` = `[B, T, T]`, how much each top-layer token draws
 * on each input token; `cross` adds the decoder's view of encoder tokens.
 */
export interface Rollout {
  stack: Stack;
  layers: number[];
  fusion: Fusion;
  dims: [number, number, number];
  data: Float32Array;
  cross?: { dims: [number, number, number]; data: Float32Array; encoderLayers: number[] };
}

/**
 * Fused Āℓ of each site, [B, T, S] float32, after the full input checks (validate.ts). By default
 * the row checks and the fusion run in one onnxruntime pass (host/rolloutHost.ts); an explicit
 * `kernel`, or no onnxruntime, takes the reference path (scanSite, then fuseWithGeometry).
 */
export function fusedLayers(result: AttentionResult, sites: SiteAttention[], options: RolloutOptions): Float32Array[] {
  const shared = new Map<string, SiteGeometry>();
  return sites.map((s) => {
    const geo = sharedGeometry(result, s, options, shared);
    const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
    const fast =
      options.kernel === undefined ? fuseAndCheckOnOrt(s, geo, tolerance, options.fusion, options.heads) : null;
    if (fast) return fast;
    scanSite(s, geo, tolerance, 0, options.kernel, options.threads);
    return fuseWithGeometry(s, geo, options.fusion, options.heads).data;
  });
}

/** Rollout chains square self maps; a KV-cache site (T < S) cannot be chained. */
export function checkSquare(site: { id: string; dims: readonly number[] }): void {
  if (site.dims[2] !== site.dims[3]) {
    throw new AttnlensError(
      "BAD_INPUT",
      `site ${site.id}: rollout needs square self-attention maps, got T=${site.dims[2]}, S=${site.dims[3]} (a KV cache?); run without past keys`,
    );
  }
}

/** The residual weight option, checked: one clear error for a value outside [0, 1]. */
export function residualWeight(residual: number | undefined): number {
  if (residual === undefined) return 0.5;
  if (typeof residual !== "number" || !(residual >= 0 && residual <= 1))
    throw new AttnlensError("BAD_INPUT", `rollout: residual must be a number in [0, 1], got ${String(residual)}`);
  return residual;
}

/**
 * Rollout of the self layers alone, [B, T, T] float32, on onnxruntime (host/rolloutHost.ts): row
 * checks and head fusion in one graph per site, Â straight from the fused sums, products on its
 * MatMul (float32 operands and sums, as the WebAssembly kernel). Null where onnxruntime is unavailable.
 */
function selfRolloutOnOrt(
  result: AttentionResult,
  sites: SiteAttention[],
  options: RolloutOptions,
  residual: number,
): Float32Array | null {
  const [B, , T] = sites[0].dims;
  const shared = new Map<string, SiteGeometry>();
  const geos = sites.map((s) => sharedGeometry(result, s, options, shared));
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  if ((options.fusion ?? "mean") === "mean" && shared.size === 1) {
    const whole = rolloutInOneRun(sites, geos[0], tolerance, options.heads, residual);
    if (whole) return whole;
  }
  const layers: { raw: Float32Array; geo: SiteGeometry }[] = [];
  for (const [k, s] of sites.entries()) {
    const geo = geos[k];
    const raw = checkedHeadSums(s, geo, tolerance, options.fusion, options.heads);
    if (!raw) return null;
    layers.push({ raw, geo });
  }
  const out = new Float32Array(B * T * T);
  for (let b = 0; b < B; b++) {
    let r: Float32Array | null = null;
    for (const { raw, geo } of layers) {
      r = rolloutStepOnOrt(raw, geo, b, residual, r);
      if (!r) return null;
    }
    out.set(r as Float32Array, b * T * T);
  }
  return out;
}

/**
 * The product of the reference path: `kernel: "js"` the float64 loop (multiplyJs), `"wasm"` and
 * `"native"` the WebAssembly kernel (JavaScript without it), default `multiply` (onnxruntime first).
 */
function productOf(kernel: RolloutOptions["kernel"]): typeof multiply {
  if (kernel === "js") return multiplyJs;
  if (kernel === "wasm" || kernel === "native")
    return (a, b, n, k, m) => wasmMultiply(a, b, n, k, m) ?? multiplyJs(a, b, n, k, m);
  return multiply;
}

/** Rollout of the self layers alone: [B, T, T] per sample as Float64Array. */
function selfRollout(
  maps: Float32Array[],
  B: number,
  T: number,
  residual: number,
  product: typeof multiply = multiply,
): Float64Array[] {
  return Array.from({ length: B }, (_, b) => {
    let r: Float64Array | null = null;
    for (const fused of maps) {
      const a = residualAdjusted(fused, b, T, residual);
      r = r ? product(a, r, T, T, T) : a;
    }
    return r as Float64Array;
  });
}

/** Per-sample float64 parts as one float32 array, sample after sample. */
export function toFloat32(parts: Float64Array[], size: number): Float32Array {
  const out = new Float32Array(parts.length * size);
  parts.forEach((p, b) => out.set(p, b * size));
  return out;
}

/**
 * Attention rollout (Abnar & Zuidema 2020): heads fused per layer, identity added for the residual, rows
 * renormalized, layers multiplied bottom to top.
 */
export function rollout(result: AttentionResult, options: RolloutOptions = {}): Rollout {
  const stack = options.stack ?? defaultStack(result);
  const fusion = options.fusion ?? "mean";
  const residual = residualWeight(options.residual);
  const selfSites = stackSites(result, stack, "self", options);
  selfSites.forEach(checkSquare);
  const [B, , T] = selfSites[0].dims;
  const layers = selfSites.map((s) => s.layer);
  const crossSites = stack === "decoder" ? stackSites(result, "decoder", "cross", options) : [];
  if (crossSites.length === 0) {
    const data =
      (options.kernel === undefined ? selfRolloutOnOrt(result, selfSites, options, residual) : null) ??
      toFloat32(selfRollout(fusedLayers(result, selfSites, options), B, T, residual, productOf(options.kernel)), T * T);
    return { stack, layers, fusion, dims: [B, T, T], data };
  }
  if (!result.sites.some((s) => s.stack === "encoder" && s.kind === "self")) {
    throw new AttnlensError(
      "BAD_INPUT",
      `rollout through ${crossSites[0].id} needs the encoder's self-attention, and this result has no encoder ` +
        "sites (an optimum decoder_model.onnx run alone): open the model's folder with loadModel, which runs " +
        "the encoder too, or roll out the decoder's self layers alone: " +
        'rollout({ ...result, sites: result.sites.filter((s) => s.kind === "self") })',
    );
  }
  const encoderSites = stackSites(result, "encoder", "self", options.encoderLayers ?? {});
  encoderSites.forEach(checkSquare);
  const S = encoderSites[0].dims[2];
  for (const c of crossSites) {
    if (c.dims[2] !== T || c.dims[3] !== S) {
      throw new AttnlensError(
        "BAD_INPUT",
        `site ${c.id}: cross dims [${c.dims.join(", ")}] do not join ${T} decoder tokens to ${S} encoder tokens`,
      );
    }
  }
  const encoder = selfRollout(fusedLayers(result, encoderSites, options), B, S, residual);
  const selfMaps = fusedLayers(result, selfSites, options);
  const crossMaps = fusedLayers(result, crossSites, options);
  const dd: Float64Array[] = [];
  const de: Float64Array[] = [];
  for (let b = 0; b < B; b++) {
    let rdd: Float64Array = residualAdjusted(new Float32Array(T * T), 0, T); // identity
    let rde: Float64Array = new Float64Array(T * S);
    for (const layer of [...new Set([...layers, ...crossSites.map((s) => s.layer)])].sort((x, y) => x - y)) {
      const si = selfSites.findIndex((s) => s.layer === layer);
      if (si >= 0) {
        const a = residualAdjusted(selfMaps[si], b, T, residual);
        rdd = multiply(a, rdd, T, T, T);
        rde = multiply(a, rde, T, T, S);
      }
      const ci = crossSites.findIndex((s) => s.layer === layer);
      if (ci >= 0) {
        const cross = Float64Array.from(crossMaps[ci].subarray(b * T * S, (b + 1) * T * S));
        const joined = multiply(cross, encoder[b], T, S, S);
        for (let k = 0; k < T * T; k++) rdd[k] *= residual;
        for (let k = 0; k < T * S; k++) rde[k] = residual * rde[k] + (1 - residual) * joined[k];
      }
    }
    dd.push(rdd);
    de.push(rde);
  }
  return {
    stack,
    layers,
    fusion,
    dims: [B, T, T],
    data: toFloat32(dd, T * T),
    cross: { dims: [B, T, S], data: toFloat32(de, T * S), encoderLayers: encoderSites.map((s) => s.layer) },
  };
}
