/**
 * What the Jupyter tests need before they start, done inside the test run and idempotently:
 * the builds they use (kernel-lib dist, the prebuilt extension; `npm test` builds them first, and
 * a missing or stale one is built here) and a private Jupyter data directory holding the installed
 * extension and the tslab kernelspec, made by the same set-up script users run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildStale, type Workspace } from "../freshBuild";
import { VENV_PYTHON } from "../pythonEnv";

export const ROOT = path.resolve(__dirname, "..", "..");
/** The project venv's Python (scripts/python-env.sh; `npm test` creates it): Jupyter, nbclient, nbconvert. */
export const PYTHON = process.env.ATTNLENS_PYTHON ?? VENV_PYTHON;
export const EXTENSION_NAME = "@attnlens/labextension";

const temporary: string[] = [];

/** A fresh directory under the OS temp dir, removed by `removeTempDirs` (call it in afterAll). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `attnlens-${prefix}-`));
  temporary.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Builds each needed workspace whose build is missing or older than its sources (see ../freshBuild.ts). */
export function ensureBuilt(...workspaces: Workspace[]): void {
  buildStale(...workspaces);
}

interface SetupResult {
  dataDir: string;
  extension?: string;
  kernel?: string;
}

type SetupModule = {
  setupJupyter(o: { dataDir: string; python: string; extension?: boolean; kernel?: boolean }): SetupResult;
};

/**
 * Runs scripts/setup-jupyter.mjs into `dataDir` (a fresh temporary one by default): the installed
 * extension (unless `extension: false`) and the tslab kernelspec.
 */
export async function setupJupyterData(options: { dataDir?: string; extension?: boolean } = {}): Promise<SetupResult> {
  const dir = options.dataDir ?? path.join(tempDir("jupyter"), "data");
  const script = path.join(ROOT, "scripts", "setup-jupyter.mjs");
  const mod = (await import(script)) as SetupModule;
  return mod.setupJupyter({ dataDir: dir, python: PYTHON, extension: options.extension ?? true });
}

/** tslab's watch compiler fails a cell once when an imported .d.ts changed since the last cell. */
export const TSLAB_WATCH_RACE = "Unexpected pending rebuildTimer";
