/**
 * The job bundle attnlens writes for the Ray engine: everything a Python worker needs to compute
 * the corpus metrics exactly as the local engine does, and nothing that needs attnlens.
 *
 *   DIR/model.onnx      the analysis graph: every site's attention and the in-graph row metrics as outputs
 *   DIR/tokenizer.json  the model's tokenizer, as loaded
 *   DIR/bundle.json     feeds, padding, truncation, sites, metric layout and the vocabulary role table
 *
 * Encoder-only and decoder-only text models; an encoder–decoder or split model fails here, naming why.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { AttnlensError } from "../../errors";
import { exposeModel } from "../../graph/surgery/exposeModel";
import type { ExposedManifest } from "../../graph/surgery/manifest";
import { loadModel } from "../../load/loadModel";
import { vocabularyRoles } from "./roles";

/** bundle.json's `format`. */
export const RAY_BUNDLE_FORMAT = "attnlens.corpus-ray-bundle";
/** bundle.json's `version`: raised when a field changes meaning (corpus_ray/bundle.py checks it). */
export const RAY_BUNDLE_VERSION = 1;

/** Inputs the Python side fills (corpus_ray/compute.py `feeds`); any other input refuses the model. */
const FEEDABLE = ["input_ids", "attention_mask", "token_type_ids", "position_ids"];

/** What bundle.json holds. */
export interface RayBundle {
  format: typeof RAY_BUNDLE_FORMAT;
  version: number;
  /** The model as the user named it (summary.json's `model`). */
  model: string;
  family: "encoder" | "decoder";
  /** The graph's inputs: name and element type. */
  inputs: { name: string; dtype: string }[];
  padId: number;
  /** The model's positions (longer inputs are skipped or truncated); null when unknown. */
  maxPositions: number | null;
  /** Per site: label, attention output and in-graph metric outputs (from the exposed manifest). */
  sites: {
    id: string;
    stack: string;
    kind: string;
    layer: number;
    heads: number;
    attention: string;
    attentionDims: string[] | null;
    rows: string;
    info: string;
  }[];
  /** The leading axis of every `rows` output (ROW_METRICS). */
  rowMetrics: string[];
  /** One role code per vocabulary id (roles.ts). */
  roles: number[];
}

/** Writes the bundle for `source` (anything loadModel takes) into `dir` (created); returns bundle.json's content. */
export async function writeRayBundle(source: string, dir: string): Promise<RayBundle> {
  const model = await loadModel(source);
  try {
    const { info } = model;
    if (model.family === "encoder-decoder" || info.files.kind === "split")
      throw new AttnlensError(
        "BAD_INPUT",
        `${source} is an encoder-decoder model: the Ray engine analyses encoder-only and decoder-only text models; use the local engine (--engine local)`,
      );
    if (info.audio) throw new AttnlensError("BAD_INPUT", `${source} reads audio features: the Ray engine reads text`);
    const tokenizerFile = info.files.tokenizer;
    if (!tokenizerFile)
      throw new AttnlensError(
        "MISSING_FILES",
        `${source} has no tokenizer.json (looked in ${info.dir}): the Ray workers tokenize the corpus with it`,
      );
    const file = path.join(info.dir, ...(info.files.model as string).split("/"));
    const exposed = exposeModel(file, { inGraphMetrics: { rollout: false } });
    const unfed = exposed.manifest.inputs.filter((i) => !FEEDABLE.includes(i.name));
    if (unfed.length)
      throw new AttnlensError(
        "BAD_FEEDS",
        `the Ray engine fills only ${FEEDABLE.join(", ")} from text; ${source} also takes ${unfed.map((i) => i.name).join(", ")}: use the local engine (--engine local)`,
      );
    const bundle: RayBundle = {
      format: RAY_BUNDLE_FORMAT,
      version: RAY_BUNDLE_VERSION,
      model: source,
      family: model.family,
      inputs: exposed.manifest.inputs.map((i) => ({ name: i.name, dtype: i.dtype })),
      padId: info.padId,
      maxPositions: info.maxPositions,
      sites: sitesOf(exposed.manifest),
      rowMetrics: exposed.manifest.inGraphMetrics?.metrics ?? [],
      roles: vocabularyRoles(model.tokenizer),
    };
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "model.onnx"), exposed.bytes);
    copyFileSync(path.join(info.dir, ...tokenizerFile.split("/")), path.join(dir, "tokenizer.json"));
    writeFileSync(path.join(dir, "bundle.json"), `${JSON.stringify(bundle)}\n`);
    return bundle;
  } finally {
    await model.release();
  }
}

function sitesOf(manifest: ExposedManifest): RayBundle["sites"] {
  const metrics = manifest.inGraphMetrics;
  if (!metrics) throw new AttnlensError("BAD_MODEL", "the exposed model has no in-graph metrics");
  return manifest.attention.map((a) => {
    const m = metrics.sites.find((s) => s.site === a.site.id);
    if (!m) throw new AttnlensError("BAD_MODEL", `site ${a.site.id} has no in-graph metrics`);
    const { id, stack, kind, layer, heads } = a.site;
    return { id, stack, kind, layer, heads, attention: a.output, attentionDims: a.dims, rows: m.rows, info: m.info };
  });
}
