/**
 * An extraction directory, what `attnlens extract` writes and `attnlens metrics` / `report` and
 * `readExtraction` read back: DIR/manifest.json, one DIR/<site id>.npy per site ([B, H, T, S]
 * float32), optionally DIR/tokens.json (`{"source": [...], "target": [...]}`, token strings for one
 * sample or one list per sample) and DIR/metrics.json (what `attnlens metrics` writes).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { MetricsJson } from "../../analysis/metrics/analyze";
import { AttnlensError } from "../../errors";
import type { AttentionResult, PositionMask, SiteAttention, SiteLabel, Stack, TokenInfo } from "../../result/types";
import { readInsideDir } from "./insideDir";
import { list, object, string } from "./jsonFields";
import { checkManifest } from "./manifestJson";
import { checkMetricsJson } from "./metricsJsonCheck";
import { decodeNpy, encodeNpy } from "./npy";

/** One site of manifest.json: its label and where its map is. */
export interface ManifestSite extends Omit<SiteLabel, "node"> {
  /** The .npy file, relative to DIR. */
  file: string;
  /** [B, H, T, S] of the map. */
  shape: number[];
  /** The ONNX node; not written by attnlens, read when present. */
  node?: string;
}

/** DIR/manifest.json. Fields other than `sites` may be absent from manifests written by hand. */
export interface Manifest {
  provider?: string;
  fallbacks?: AttentionResult["fallbacks"];
  sites: ManifestSite[];
  /** 0/1 valid positions per stack and sample. */
  masks?: Partial<Record<Stack, number[][]>>;
  /** Token and segment ids the model was fed, per stack and sample. */
  inputIds?: Partial<Record<Stack, number[][]>>;
  segments?: Partial<Record<Stack, number[][]>>;
}

/** An extraction directory read back (`attnlens extract` output): the result, and its metrics when present. */
export interface Extraction {
  dir: string;
  result: AttentionResult;
  /** DIR/metrics.json when present. */
  metrics?: MetricsJson;
  /** False when DIR/tokens.json was absent: positions are labelled by index. */
  hasTokens: boolean;
}

/** Writes `<site id>.npy` per site and manifest.json, in site order. */
export function writeExtraction(dir: string, result: AttentionResult): void {
  mkdirSync(dir, { recursive: true });
  const sites = result.sites.map((s): ManifestSite => {
    const file = `${s.id}.npy`;
    writeFileSync(path.join(dir, file), encodeNpy(s.data, s.dims));
    return {
      id: s.id,
      stack: s.stack,
      kind: s.kind,
      layer: s.layer,
      heads: s.heads,
      causal: s.causal,
      ...(s.inputs ? { inputs: s.inputs } : {}),
      file,
      shape: s.dims,
    };
  });
  const manifest: Manifest = {
    provider: result.provider,
    fallbacks: result.fallbacks,
    sites,
    masks: maskJson(result),
    // Fed token and segment ids: `attnlens metrics` needs them for the induction and block patterns.
    inputIds: rowsJson(result.inputIds),
    segments: rowsJson(result.segments),
  };
  writeFileSync(path.join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** DIR/tokens.json: the tokens of sample 0, special tokens included, in model order. */
export function writeTokens(dir: string, result: AttentionResult): void {
  const row = (side: "source" | "target") => (result.tokens?.[side]?.[0] ?? []).map((t) => t.text);
  writeFileSync(
    path.join(dir, "tokens.json"),
    `${JSON.stringify({ source: row("source"), target: row("target") }, null, 1)}\n`,
  );
}

function rowsJson(rows: AttentionResult["inputIds"]): Partial<Record<Stack, number[][]>> {
  const out: Partial<Record<Stack, number[][]>> = {};
  for (const [stack, r] of Object.entries(rows ?? {}) as [Stack, Int32Array[] | undefined][])
    if (r) out[stack] = r.map((row) => Array.from(row));
  return out;
}

function maskJson(result: AttentionResult): Partial<Record<Stack, number[][]>> {
  const out: Partial<Record<Stack, number[][]>> = {};
  for (const [stack, m] of Object.entries(result.masks) as [Stack, PositionMask | undefined][]) {
    if (!m) continue;
    const [b, l] = m.dims;
    out[stack] = Array.from({ length: b }, (_, i) => Array.from(m.data.subarray(i * l, (i + 1) * l)));
  }
  return out;
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readInsideDir(path.dirname(file), file).toString("utf8")) as unknown;
  } catch (e) {
    if (e instanceof AttnlensError) throw e;
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    // JSON.parse quotes the text it stopped at; its line breaks must not split the error line.
    throw new AttnlensError("BAD_INPUT", `cannot read ${what} ${file}: ${why.replace(/\s+/g, " ")}`);
  }
}

/** Special-token spellings of the common tokenizers (for the special-token metrics). */
const SPECIAL = /^(\[(CLS|SEP|PAD|MASK|UNK)\]|<\/?s>|<(pad|unk|mask)>|<\|[a-z_]+\|>)$/;

function tokenRows(value: unknown, samples: number, file: string, side: string): TokenInfo[][] | undefined {
  if (value === undefined || value === null) return undefined;
  const what = `${file} ${side}`;
  if (!Array.isArray(value)) throw new AttnlensError("BAD_INPUT", `${what} must be a list of token strings`);
  const nested = value.length > 0 && Array.isArray(value[0]);
  const rows: unknown[][] = nested
    ? value.map((row, b) => list({ file, field: `${side}[${b}]` }, row))
    : Array(samples).fill(value);
  if (rows.length !== samples) {
    throw new AttnlensError("BAD_INPUT", `${what} has ${rows.length} token lists; the maps have ${samples} samples`);
  }
  return rows.map((row, b) =>
    row.map((t, i) => {
      const field = nested ? `${side}[${b}][${i}]` : `${side}[${i}]`;
      const text = string({ file, field }, t);
      return { text, id: -1, word: null, special: SPECIAL.test(text) };
    }),
  );
}

function intRows(rows: Partial<Record<Stack, number[][]>> | undefined): Partial<Record<Stack, Int32Array[]>> {
  const out: Partial<Record<Stack, Int32Array[]>> = {};
  for (const [stack, r] of Object.entries(rows ?? {}) as [Stack, number[][]][])
    out[stack] = r.map((x) => Int32Array.from(x));
  return out;
}

function mask(rows: number[][] | undefined): PositionMask | undefined {
  if (!rows || rows.length === 0) return undefined;
  const L = rows[0].length;
  const data = new Uint8Array(rows.length * L);
  rows.forEach((r, b) => {
    for (let i = 0; i < L; i++) data[b * L + i] = r[i] ? 1 : 0;
  });
  return { data, dims: [rows.length, L] };
}

function readSite(dir: string, s: ManifestSite): SiteAttention {
  const file = path.join(dir, path.basename(s.file));
  let npy: ReturnType<typeof decodeNpy>;
  try {
    npy = decodeNpy(readInsideDir(dir, file));
  } catch (e) {
    if (e instanceof AttnlensError) throw e;
    throw new AttnlensError("BAD_INPUT", `cannot read site ${s.id} from ${file}: ${(e as Error).message}`);
  }
  if (npy.shape.length !== 4)
    throw new AttnlensError("BAD_INPUT", `${file} has shape [${npy.shape}]; expected [B, H, T, S]`);
  return {
    id: s.id,
    stack: s.stack,
    kind: s.kind,
    layer: s.layer,
    heads: s.heads || npy.shape[1],
    causal: s.causal,
    node: s.node ?? "",
    ...(s.inputs ? { inputs: s.inputs } : {}),
    data: npy.data,
    dims: npy.shape as [number, number, number, number],
  };
}

/** Options of {@link readExtraction}. */
export interface ReadOptions {
  /** Read DIR/metrics.json when present (default true); `attnlens metrics` replaces it unread. */
  metrics?: boolean;
}

/**
 * Reads an extraction directory (manifest.json, .npy maps, tokens.json, metrics.json) back into an
 * AttentionResult. Every file must lie inside DIR; a malformed field is one error naming file and field.
 */
export function readExtraction(dir: string, options: ReadOptions = {}): Extraction {
  const manifestFile = path.join(dir, "manifest.json");
  if (!existsSync(manifestFile)) {
    throw new AttnlensError(
      "BAD_INPUT",
      `${dir} has no manifest.json; make it with \`attnlens extract MODEL --feeds F --out ${dir}\``,
    );
  }
  const manifest = checkManifest(readJson(manifestFile, "the manifest"), manifestFile);
  const sites = manifest.sites.map((s) => readSite(dir, s));
  const samples = sites[0].dims[0];
  const result: AttentionResult = {
    sites,
    provider: manifest.provider ?? "unknown",
    fallbacks: manifest.fallbacks ?? [],
    masks: { encoder: mask(manifest.masks?.encoder), decoder: mask(manifest.masks?.decoder) },
    outputs: {},
    inputIds: intRows(manifest.inputIds),
    segments: intRows(manifest.segments),
  };
  const tokensFile = path.join(dir, "tokens.json");
  const hasTokens = existsSync(tokensFile);
  if (hasTokens) {
    const json = object({ file: tokensFile, field: "" }, readJson(tokensFile, "tokens"));
    result.tokens = {
      source: tokenRows(json.source, samples, tokensFile, "source"),
      target: tokenRows(json.target, samples, tokensFile, "target"),
    };
  }
  const metricsFile = path.join(dir, "metrics.json");
  const metrics =
    options.metrics !== false && existsSync(metricsFile)
      ? checkMetricsJson(readJson(metricsFile, "metrics"), metricsFile)
      : undefined;
  return { dir, result, metrics, hasTokens };
}
