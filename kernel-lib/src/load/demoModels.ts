/**
 * The demo models bundled with attnlens (kernel-lib/models/<name>/, trained by
 * models/train_demo_models.py): found by name, and described from their own files — config.json
 * (family, task), README.md (what the model is for) and heads.json (the head roles measured in it).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { readJsonFile } from "./config";
import { chooseLayout, isLayoutProblem, listModelDirectory } from "./layout";

/**
 * A head a bundled demo model was trained to show, from its `heads.json`: where it is, its role and how
 * strongly the role shows.
 */
export interface DemoHead {
  /** The site the head belongs to, e.g. `decoder.cross.1` (from heads.json stack/kind/layer). */
  site: string;
  stack: "encoder" | "decoder";
  kind: "self" | "cross";
  layer: number;
  head: number;
  role: string;
  /** When the role holds, as heads.json says (e.g. "antecedent is animate"). */
  condition?: string;
  score?: number;
  /** What the score measures, as heads.json says. */
  metric?: string;
}

/** A bundled demo model: its name (what `loadModel` accepts), directory, family, and the heads it documents. */
export interface DemoModel {
  name: string;
  dir: string;
  family: "encoder" | "decoder" | "encoder-decoder";
  modelType: string;
  /** The synthetic task it was trained on (config.json attnlens_demo.task), when stated. */
  task: string | null;
  /** README.md's first paragraph. */
  summary: string;
  /** Measured head roles from heads.json. */
  heads: DemoHead[];
}

/** kernel-lib/models, or the directory in ATTNLENS_MODELS_DIR. */
export function demoModelsDir(): string {
  return process.env.ATTNLENS_MODELS_DIR || path.resolve(__dirname, "..", "..", "models");
}

/** The directory of the demo model called `name`, or null. */
export function demoModelDir(name: string): string | null {
  if (!/^[\w.-]+$/.test(name)) return null;
  const dir = path.join(demoModelsDir(), name);
  return existsSync(path.join(dir, "config.json")) && statSync(dir).isDirectory() ? dir : null;
}

/** The bundled demo models, sorted by name (empty when the models directory is missing). */
export function listDemoModels(root = demoModelsDir()): DemoModel[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => statSync(path.join(root, name)).isDirectory() && existsSync(path.join(root, name, "config.json")))
    .sort()
    .map((name) => describe(name, path.join(root, name)));
}

function describe(name: string, dir: string): DemoModel {
  const config = readJsonFile(path.join(dir, "config.json"));
  const layout = chooseLayout(listModelDirectory(dir));
  const decoderTypes = /gpt|llama|mistral|phi|qwen|opt|bloom|falcon/i;
  const family =
    config.is_encoder_decoder === true || (!isLayoutProblem(layout) && layout.kind === "split")
      ? "encoder-decoder"
      : decoderTypes.test(String(config.model_type ?? ""))
        ? "decoder"
        : "encoder";
  const demo = (config.attnlens_demo ?? {}) as { task?: unknown };
  return {
    name,
    dir,
    family,
    modelType: String(config.model_type ?? ""),
    task: typeof demo.task === "string" ? demo.task : null,
    summary: readmeSummary(path.join(dir, "README.md")),
    heads: headRoles(path.join(dir, "heads.json")),
  };
}

/** The first paragraph of README.md that is prose (not a heading, table, list or code). */
function readmeSummary(file: string): string {
  if (!existsSync(file)) return "";
  const paragraphs = readFileSync(file, "utf8").split(/\n\s*\n/);
  const prose = paragraphs.find((p) => p.trim() && !/^\s*(#|\||```|[-*] |<)/.test(p));
  // Plain text: markdown emphasis and code marks dropped.
  return (prose ?? "")
    .replace(/\*\*|__|`/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

function headRoles(file: string): DemoHead[] {
  if (!existsSync(file)) return [];
  const roles = readJsonFile(file).roles;
  if (!Array.isArray(roles)) return [];
  return roles
    .filter((r): r is Record<string, unknown> => !!r && typeof r === "object")
    .filter((r) => typeof r.layer === "number" && typeof r.head === "number" && typeof r.role === "string")
    .map((r) => {
      const stack = r.stack === "decoder" ? "decoder" : "encoder";
      const kind = r.kind === "cross" ? "cross" : "self";
      return {
        site: `${stack}.${kind}.${r.layer}`,
        stack,
        kind,
        layer: r.layer as number,
        head: r.head as number,
        role: r.role as string,
        ...(typeof r.condition === "string" ? { condition: r.condition } : {}),
        ...(typeof r.score === "number" ? { score: r.score } : {}),
        ...(typeof r.metric === "string" ? { metric: r.metric } : {}),
      } as DemoHead;
    });
}
