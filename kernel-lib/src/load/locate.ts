/**
 * Where a model source is on disk: an .onnx file, a model directory, the name of a bundled demo
 * model, or a Hugging Face Hub id (downloaded into the cache first). Local paths win over names.
 */
import { existsSync, statSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AttnlensError } from "../errors";
import { demoModelDir, demoModelsDir, listDemoModels } from "./demoModels";
import { fetchHubModel, HUB_ID, type HubOptions } from "./hub/hubModel";

export interface Located {
  /** The directory holding the model's files. */
  dir: string;
  /** The .onnx file named explicitly (relative to dir), if the source was a file. */
  file?: string;
  origin: "file" | "directory" | "demo" | "hub";
}

export async function locate(source: string, options: HubOptions): Promise<Located> {
  const local = source.startsWith("~/") ? path.join(os.homedir(), source.slice(2)) : source;
  if (existsSync(local)) {
    const full = path.resolve(local);
    if (statSync(full).isDirectory()) return { dir: full, origin: "directory" };
    if (!full.endsWith(".onnx")) {
      throw new AttnlensError("BAD_MODEL", `${source} is neither an .onnx file nor a model directory`);
    }
    return { dir: path.dirname(full), file: path.basename(full), origin: "file" };
  }
  const demo = demoModelDir(source);
  if (demo) return { dir: demo, origin: "demo" };
  if (looksLikePath(source) || !HUB_ID.test(source)) {
    throw new AttnlensError(
      "MISSING_FILES",
      `no such file or directory: ${source}; it is not a bundled demo model (${demoNames()}) nor a Hub id (owner/name) either`,
    );
  }
  try {
    return { dir: await fetchHubModel(source, options), origin: "hub" };
  } catch (e) {
    if (e instanceof AttnlensError && e.code === "NOT_FOUND") {
      throw new AttnlensError(
        "NOT_FOUND",
        `${e.message}. (There is no local file or directory named ${source} either.)`,
      );
    }
    throw e;
  }
}

function looksLikePath(s: string): boolean {
  return /^(\.{1,2}[\\/]|[\\/]|~)/.test(s) || s.includes("\\") || s.endsWith(".onnx") || /^[A-Za-z]:/.test(s);
}

function demoNames(): string {
  const names = listDemoModels().map((m) => m.name);
  return names.length ? `those are: ${names.join(", ")}` : `none are installed in ${demoModelsDir()}`;
}
