/**
 * Seeded mutations of an extraction directory (manifest.json, the .npy maps, tokens.json,
 * metrics.json) for the fuzz tests of `attnlens metrics` / `report`: JSON fields replaced by
 * values of other types, npy headers with bad shapes, dtypes and lengths, truncated or deleted
 * files. A directory is a map file name → bytes, written to disk by the test.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { analyzeResult, metricsJson } from "../../src/analysis/metrics/analyze";
import { encodeNpy } from "../../src/output/files/npy";
import type { AttentionResult } from "../../src/result/types";
import { designedSite } from "../../src/testing/syntheticMaps";

export type DirFiles = Map<string, Uint8Array>;

/** Writes the files as directory ROOT/NAME and returns its path. */
export function writeDir(root: string, name: string, files: DirFiles): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, bytes] of files) writeFileSync(path.join(dir, f), bytes);
  return dir;
}
type Rand = () => number;
const int = (rand: Rand, n: number) => Math.floor(rand() * n);
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[int(rand, xs.length)];
const text = new TextEncoder();
const untext = new TextDecoder();

/** A two-site, two-sample encoder result (the second sample padded), as `extract` would save it. */
export function baseResult(): AttentionResult {
  const lengths = [6, 4];
  const a = designedSite(["identity", "previous"], { lengths, id: "encoder.self.0" });
  const b = designedSite(["first", "window"], { lengths, id: "encoder.self.1", window: 1 });
  b.site.layer = 1;
  const ids = [Int32Array.from([101, 7, 8, 7, 8, 102]), Int32Array.from([101, 9, 10, 102, 0, 0])];
  return {
    sites: [a.site, b.site],
    provider: "cpu",
    fallbacks: [],
    masks: { encoder: a.mask },
    outputs: {},
    inputIds: { encoder: ids },
    segments: {},
  };
}

/** The files `attnlens extract` + `attnlens metrics` leave for `result`. */
export function baseFiles(result: AttentionResult): DirFiles {
  const files: DirFiles = new Map();
  const json = (x: unknown) => text.encode(`${JSON.stringify(x, null, 1)}\n`);
  files.set(
    "manifest.json",
    json({
      provider: result.provider,
      fallbacks: result.fallbacks,
      sites: result.sites.map((s) => ({ ...s, data: undefined, dims: undefined, file: `${s.id}.npy`, shape: s.dims })),
      masks: { encoder: [Array.from(result.masks.encoder?.data.subarray(0, 6) ?? []), [1, 1, 1, 1, 0, 0]] },
      inputIds: { encoder: result.inputIds?.encoder?.map((r) => Array.from(r)) },
      segments: {},
    }),
  );
  for (const s of result.sites) files.set(`${s.id}.npy`, encodeNpy(s.data, s.dims));
  files.set(
    "tokens.json",
    json({
      source: [
        ["[CLS]", "a", "b", "a", "b", "[SEP]"],
        ["[CLS]", "c", "d", "[SEP]", "[PAD]", "[PAD]"],
      ],
      target: [],
    }),
  );
  files.set("metrics.json", json(metricsJson(analyzeResult(result))));
  return files;
}

/** Values a hand edit or a broken writer might leave in a JSON field. */
const ODD_VALUES: unknown[] = [
  null,
  "4",
  4,
  -1,
  1.5,
  1e300,
  [],
  {},
  true,
  "",
  "../../x",
  "two\nlines",
  [null],
  [[1, "a"]],
  { a: 1 },
];

/** Every path into a JSON value (["sites", 0, "heads"], …), the root included. */
function jsonPaths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => jsonPaths(x, [...prefix, i], out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) jsonPaths(x, [...prefix, k], out);
  return out;
}

function setPath(root: unknown, p: (string | number)[], value: unknown, remove: boolean): unknown {
  if (p.length === 0) return value;
  let parent = root as Record<string | number, unknown>;
  for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = p[p.length - 1];
  if (remove && !Array.isArray(parent)) delete parent[last];
  else parent[last] = value;
  return root;
}

function mutateJson(bytes: Uint8Array, rand: Rand): { bytes: Uint8Array; what: string } {
  const src = untext.decode(bytes);
  if (rand() < 0.1) {
    const cut = int(rand, src.length);
    return { bytes: text.encode(src.slice(0, cut)), what: `cut to ${cut} characters` };
  }
  const root = JSON.parse(src) as unknown;
  const paths = jsonPaths(root);
  // Prefer fields over the root: the root replaced is one case among many.
  const p = rand() < 0.05 ? [] : pick(rand, paths.slice(1));
  const remove = rand() < 0.15;
  const value = pick(rand, ODD_VALUES);
  const out = setPath(root, p, value, remove);
  const where = p.length ? p.join(".") : "the root";
  return {
    bytes: text.encode(JSON.stringify(out)),
    what: remove ? `remove ${where}` : `${where} = ${JSON.stringify(value)}`,
  };
}

function mutateNpy(bytes: Uint8Array, rand: Rand): { bytes: Uint8Array; what: string } {
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true);
  const header = untext.decode(bytes.subarray(10, 10 + headerLen));
  const body = bytes.subarray(10 + headerLen);
  const rebuilt = (h: string, b: Uint8Array = body) => {
    const hb = text.encode(h);
    const out = new Uint8Array(10 + hb.length + b.length);
    out.set(bytes.subarray(0, 8));
    new DataView(out.buffer).setUint16(8, hb.length, true);
    out.set(hb, 10);
    out.set(b, 10 + hb.length);
    return out;
  };
  switch (int(rand, 7)) {
    case 0: {
      const dims = Array.from({ length: 1 + int(rand, 5) }, () =>
        pick(rand, ["-1", "2.5", "0", "2", "6", "1e3", "x", "99999999999"]),
      );
      return {
        bytes: rebuilt(header.replace(/\([^)]*\)/, `(${dims.join(", ")})`)),
        what: `shape (${dims.join(", ")})`,
      };
    }
    case 1: {
      const descr = pick(rand, ["<f2", "<i8", ">f4", "|O", "<f8"]);
      return { bytes: rebuilt(header.replace("<f4", descr)), what: `descr ${descr}` };
    }
    case 2: {
      const cut = int(rand, bytes.length);
      return { bytes: bytes.slice(0, cut), what: `cut to ${cut} bytes` };
    }
    case 3: {
      const out = bytes.slice();
      const len = int(rand, 65536);
      new DataView(out.buffer).setUint16(8, len, true);
      return { bytes: out, what: `header length ${len}` };
    }
    case 4: {
      const out = bytes.slice();
      out[6] = pick(rand, [0, 2, 3, 9]);
      return { bytes: out, what: `format version ${out[6]}` };
    }
    case 5: {
      const out = bytes.slice();
      const pos = 10 + int(rand, headerLen);
      out[pos] = int(rand, 256);
      return { bytes: out, what: `header byte ${pos} = ${out[pos]}` };
    }
    default:
      return { bytes: rebuilt(header.replace("'shape'", "'shap'")), what: "no shape key" };
  }
}

/** 1–3 seeded mutations of the directory's files; returns the new files and what was done. */
export function mutateDir(files: DirFiles, rand: Rand): { files: DirFiles; what: string[] } {
  const out: DirFiles = new Map(files);
  const what: string[] = [];
  const n = 1 + int(rand, 3);
  for (let k = 0; k < n; k++) {
    const name = pick(rand, [...out.keys()]);
    const bytes = out.get(name) as Uint8Array;
    if (rand() < 0.05) {
      out.delete(name);
      what.push(`delete ${name}`);
      continue;
    }
    try {
      const m = name.endsWith(".npy") ? mutateNpy(bytes, rand) : mutateJson(bytes, rand);
      out.set(name, m.bytes);
      what.push(`${name}: ${m.what}`);
    } catch {
      what.push(`${name}: left as is (already unparseable)`);
    }
  }
  return { files: out, what };
}
