/** Runs the built `attnlens` CLI as a user would (node bin/attnlens.js …) and captures its output. */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..");
const BIN = path.join(ROOT, "kernel-lib", "bin", "attnlens.js");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function attnlens(...args: string[]): CliRun {
  return attnlensWithStdin("", ...args);
}

/** The same, with `stdin` as its standard input. A run killed by a signal (a crash) has code -1. */
export function attnlensWithStdin(stdin: string, ...args: string[]): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
    input: stdin,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `attnlens extract MODEL --feeds FEEDS --out DIR --providers cpu`: the extraction the CLI tests start from. */
export function extractOnCpu(model: string, feeds: string, out: string): CliRun {
  return attnlens("extract", model, "--feeds", feeds, "--out", out, "--providers", "cpu");
}
