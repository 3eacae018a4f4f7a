/**
 * The reference harness's output (refmodels/, built into .cache/refmodels by `npm test`): each case's
 * ONNX files, feeds and transformers' own attention maps.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { decodeNpy } from "../../kernel-lib/src/output/files/npy";
import { type JsonFeed, tensorFromJson } from "../../kernel-lib/src/run/feeds";

export const REFMODELS = path.resolve(__dirname, "..", "..", ".cache", "refmodels");

export interface RefSite {
  id: string;
  file: string;
  shape: number[];
}

export interface RefRun {
  name: string;
  feeds: Record<string, Record<string, JsonFeed & { npy?: string }>>;
  sites: Record<string, RefSite[]>;
  /** Per stack ("encoder", "decoder", "cross"), [batch][target]: 1 where the query row is compared. */
  query_mask: Record<string, number[][]>;
  extra: Record<string, unknown>;
}

export interface RefCase {
  case: string;
  family: string;
  variant: string;
  tolerance: number;
  expect_error: string | null;
  notes: string;
  expected_sites: Record<string, string[]>;
  files: string[];
  versions: Record<string, string>;
  runs: RefRun[];
  dir: string;
}

/** A case's reference; throws (never skips) when the harness has not built it. */
export function refCase(name: string): RefCase {
  const dir = path.join(REFMODELS, name);
  const file = path.join(dir, "reference.json");
  if (!existsSync(file))
    throw new Error(
      `no reference for "${name}" in ${REFMODELS}: run .venv/bin/python -m refmodels build --only ${name}`,
    );
  return { ...JSON.parse(readFileSync(file, "utf8")), dir };
}

export const onnxPath = (c: RefCase, file: string) => path.join(c.dir, "onnx", file);

/** The ONNX feeds of one file in one run, as tensors. */
export function refFeeds(c: RefCase, run: RefRun, file: string): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [name, f] of Object.entries(run.feeds[file] ?? {})) {
    if (f.npy) {
      const a = decodeNpy(readFileSync(path.join(c.dir, f.npy)));
      out[name] = new ort.Tensor("float32", a.data, a.shape);
    } else out[name] = tensorFromJson(name, f);
  }
  return out;
}

export function refMap(c: RefCase, site: RefSite): Float32Array {
  return decodeNpy(readFileSync(path.join(c.dir, site.file))).data;
}

/** The stack a site id belongs to in query_mask's keys. */
export const stackOf = (id: string) =>
  id.startsWith("encoder") ? "encoder" : id.includes(".cross.") ? "cross" : "decoder";

/**
 * max |Δ| over the compared query rows: rows whose query is a real token (query_mask), every head.
 * Rows of padded queries carry no meaning in either implementation.
 */
export function maxDiffOnQueries(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  dims: readonly number[],
  mask?: number[][],
): number {
  const [b, h, t, s] = dims;
  let m = 0;
  for (let bi = 0; bi < b; bi++)
    for (let hi = 0; hi < h; hi++)
      for (let ti = 0; ti < t; ti++) {
        if (mask && mask[bi]?.[ti] === 0) continue;
        const off = ((bi * h + hi) * t + ti) * s;
        for (let si = 0; si < s; si++) m = Math.max(m, Math.abs(got[off + si] - want[off + si]));
      }
  return m;
}

/**
 * A case's expected refusal: `expect_error` is "CODE: message substring" (CODE an AttnlensError code such as
 * NO_ATTENTION) or a bare message substring.
 */
export function expectedError(c: RefCase): { code?: string; message: string } | null {
  if (!c.expect_error) return null;
  const m = /^([A-Z][A-Z_]+): (.*)$/s.exec(c.expect_error);
  return m ? { code: m[1], message: m[2] } : { message: c.expect_error };
}

/** The ONNX files a case opens: those with expected sites, or every exported file of a case with none. */
export const caseFiles = (c: RefCase) =>
  Object.keys(c.expected_sites).length ? Object.keys(c.expected_sites) : c.files;

/** Messages name files by absolute path; the table keeps them machine-independent. */
export const portable = (text: string) => text.split(REFMODELS).join(".cache/refmodels");
