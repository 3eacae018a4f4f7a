/**
 * The project's Python interpreter for tests (numpy, onnx, onnxruntime at requirements.txt's pins),
 * in the venv scripts/python-env.sh creates; `npm test` runs that script first.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
export const VENV_PYTHON = path.join(ROOT, ".venv", process.platform === "win32" ? "Scripts/python.exe" : "bin/python");

/** The venv's python, or an error saying how to create it. */
export function venvPython(): string {
  if (!existsSync(VENV_PYTHON)) throw new Error(`no project Python at ${VENV_PYTHON}: run bash scripts/python-env.sh`);
  return VENV_PYTHON;
}

/** Runs a Python snippet with arguments; returns stdout, or throws with stderr's last lines. */
export function runPython(code: string, args: readonly string[] = [], timeout = 300_000): string {
  const r = spawnSync(venvPython(), ["-c", code, ...args], { encoding: "utf8", timeout, maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    const tail = (r.stderr || String(r.error ?? "")).trim().split("\n").slice(-8).join("\n");
    throw new Error(`python exited with ${r.status}:\n${tail}`);
  }
  return r.stdout;
}
