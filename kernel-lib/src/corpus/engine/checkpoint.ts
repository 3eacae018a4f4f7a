/**
 * DIR/state.json: the raw aggregates plus the resume cursor, written atomically (temporary file,
 * then rename) so a killed run leaves the last complete checkpoint. A rerun continues from it only
 * when the model, the data file and the options are those that wrote it.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { AttnlensError } from "../../errors";
import { replaceFileInDir } from "../../output/files/replaceFile";
import type { CorpusAggregateJson } from "../aggregate/corpusAggregate";

/** What must not change between a run and its resumption. */
export interface CorpusFingerprint {
  model: Record<string, string | number>;
  data: Record<string, string | number>;
  options: Record<string, string | number | null>;
}

/** DIR/state.json. */
export interface CorpusState extends CorpusAggregateJson {
  version: 1;
  engine: "local" | "ray";
  model: string;
  data: string;
  fingerprint: CorpusFingerprint;
  /** Records of DATA read, skipped ones included. */
  consumed: number;
  batches: number;
  /** True once DATA (or --limit) was read to the end. */
  complete: boolean;
}

export const STATE_FILE = "state.json";

/** Size and modification time of a file (or "missing"), for fingerprints. */
export function fileStamp(file: string): string {
  if (!existsSync(file)) return "missing";
  const s = statSync(file);
  return `${s.size}:${Math.round(s.mtimeMs)}`;
}

export function readState(dir: string): CorpusState | null {
  const file = path.join(dir, STATE_FILE);
  if (!existsSync(file)) return null;
  let state: CorpusState;
  try {
    state = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new AttnlensError(
      "BAD_INPUT",
      `${file} is not a readable checkpoint (${(e as Error).message}); rerun with --restart to start over`,
    );
  }
  if (state?.version !== 1 || !state.fingerprint || typeof state.consumed !== "number") {
    throw new AttnlensError(
      "BAD_INPUT",
      `${file} is not an attnlens corpus checkpoint; rerun with --restart to start over`,
    );
  }
  return state;
}

export function writeState(dir: string, state: CorpusState): void {
  replaceFileInDir(dir, STATE_FILE, `${JSON.stringify(state)}\n`);
}

/** The first differences between a checkpoint's fingerprint and this run's, named for the message. */
export function fingerprintChanges(old: CorpusFingerprint, now: CorpusFingerprint): string[] {
  const changes: string[] = [];
  for (const part of ["model", "data", "options"] as const) {
    const keys = new Set([...Object.keys(old[part] ?? {}), ...Object.keys(now[part])]);
    for (const k of keys) {
      const [a, b] = [old[part]?.[k], now[part][k]];
      if (a !== b) changes.push(`${part} ${k}: ${JSON.stringify(a ?? null)} → ${JSON.stringify(b ?? null)}`);
    }
  }
  return changes;
}
