/**
 * Fuzzing what `attnlens metrics DIR` and `attnlens report DIR` read: seeded mutants of an
 * extraction directory go through the commands' own code paths. Each must succeed or fail with
 * a one-line AttnlensError of a known code; anything else fails the test with the seed and the
 * mutations that reproduce it. Also the npy reader alone, on mutated headers and bodies.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyzeResult, metricsJson } from "../../src/analysis/metrics/analyze";
import { attentionFlow } from "../../src/analysis/metrics/flow";
import { rollout } from "../../src/analysis/metrics/rollout";
import { readExtraction } from "../../src/output/files/extractionDir";
import { decodeNpy, encodeNpy } from "../../src/output/files/npy";
import { reportSections } from "../../src/output/report/export";
import { extractionReport } from "../../src/output/report/fromDir";
import { seededRandom } from "../../src/util/random";
import { baseFiles, baseResult, type DirFiles, mutateDir, writeDir } from "./dirMutations";
import { isKnownError } from "./knownErrors";

const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-dirfuzz-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `attnlens metrics DIR --rollout --flow`, without the writes. */
function metricsPath(dir: string): void {
  const { result } = readExtraction(dir);
  JSON.stringify(metricsJson(analyzeResult(result)));
  rollout(result);
  attentionFlow(result);
}

/** `attnlens report DIR -o …`, up to the HTML sections. */
function reportPath(dir: string): void {
  const { input } = extractionReport(dir, { title: "fuzz" });
  reportSections([input]);
}

/** Runs `fn`; returns null when it succeeded or failed as allowed, else what went wrong. */
function outcome(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (isKnownError(e) && !(e as Error).message.includes("\n")) return null;
    return (e as Error)?.stack?.split("\n").slice(0, 3).join(" | ") ?? String(e);
  }
}

const CASES = 200;

describe("extraction directory fuzz", () => {
  const base = baseFiles(baseResult());

  it("the unmutated directory passes both paths (the mutants start from a valid one)", () => {
    const dir = writeDir(tmp, "base", base);
    metricsPath(dir);
    reportPath(dir);
  });

  it(`ends ${CASES} mutated directories in a result or a one-line known AttnlensError, for metrics and report`, () => {
    const failures: string[] = [];
    let rejected = 0;
    for (let i = 0; i < CASES; i++) {
      const seed = 5000 + i;
      const m = mutateDir(base, seededRandom(seed));
      const dir = writeDir(tmp, `case-${seed}`, m.files);
      for (const [name, fn] of [
        ["metrics", metricsPath],
        ["report", reportPath],
      ] as const) {
        const bad = outcome(() => fn(dir));
        if (bad) failures.push(`${name}, seed ${seed} (${m.what.join("; ")}): ${bad}`);
      }
      try {
        readExtraction(dir);
      } catch {
        rejected++;
      }
      rmSync(dir, { recursive: true, force: true });
    }
    expect(failures).toEqual([]);
    expect(rejected).toBeGreaterThan(CASES / 4);
  });
});

describe("npy reader fuzz", () => {
  const good = encodeNpy(
    Float32Array.from({ length: 24 }, (_, i) => i / 24),
    [2, 3, 4],
  );

  it("reads back what it writes", () => {
    const back = decodeNpy(good);
    expect(back.shape).toEqual([2, 3, 4]);
    expect(Array.from(back.data)).toEqual(Array.from({ length: 24 }, (_, i) => Math.fround(i / 24)));
  });

  it("ends 500 mutated files in an array whose size matches its shape, or an Error with a one-line message", () => {
    const failures: string[] = [];
    for (let seed = 0; seed < 500; seed++) {
      const rand = seededRandom(seed);
      const bytes = good.slice();
      const what: string[] = [];
      const k = 1 + Math.floor(rand() * 3);
      for (let j = 0; j < k; j++) {
        const pos = Math.floor(rand() * Math.min(bytes.length, 90));
        bytes[pos] = Math.floor(rand() * 256);
        what.push(`byte ${pos} = ${bytes[pos]}`);
      }
      const cut = rand() < 0.3 ? Math.floor(rand() * bytes.length) : bytes.length;
      if (cut < bytes.length) what.push(`cut to ${cut}`);
      try {
        const a = decodeNpy(bytes.subarray(0, cut));
        const n = a.shape.reduce((x, y) => x * y, 1);
        if (a.shape.some((d) => !Number.isInteger(d) || d < 0) || a.data.length !== n)
          failures.push(`seed ${seed} (${what.join(", ")}): shape [${a.shape}] with ${a.data.length} values`);
      } catch (e) {
        const bad = !(e instanceof Error) || e instanceof RangeError || e instanceof TypeError;
        if (bad || !(e as Error).message || (e as Error).message.includes("\n"))
          failures.push(`seed ${seed} (${what.join(", ")}): ${(e as Error)?.stack?.split("\n")[0]}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it.each([
    ["(-1, -2, 2, 3)", /"-1", which is not a size/],
    ["(2, 1.5, 2, 2)", /"1\.5", which is not a size/],
    ["(2, 3, 4, 100)", /needs 9600 bytes of data but the file has 96/],
  ])("rejects shape %s", (shape, message) => {
    const header = new TextDecoder().decode(good.subarray(10, 10 + new DataView(good.buffer).getUint16(8, true)));
    const bad = `${header.replace(/\([^)]*\)/, shape)}`;
    const hb = new TextEncoder().encode(bad);
    const bytes = new Uint8Array(10 + hb.length + 96);
    bytes.set(good.subarray(0, 8));
    new DataView(bytes.buffer).setUint16(8, hb.length, true);
    bytes.set(hb, 10);
    expect(() => decodeNpy(bytes)).toThrow(message);
  });
});

describe("extraction directory: the malformed files the fault-injection pass found", () => {
  const base = baseFiles(baseResult());
  const edit = (name: string, change: (json: Record<string, unknown>) => unknown): DirFiles => {
    const files = new Map(base);
    const json = JSON.parse(new TextDecoder().decode(base.get(name))) as Record<string, unknown>;
    files.set(name, new TextEncoder().encode(JSON.stringify(change(json))));
    return files;
  };
  type Sites = Record<string, unknown>[];

  it.each([
    ["manifest null", edit("manifest.json", () => null), /manifest\.json: the top level must be an object, not null/],
    [
      "site null",
      edit("manifest.json", (m) => ({ ...m, sites: [null] })),
      /manifest\.json: "sites\[0\]" must be an object, not null/,
    ],
    [
      "file not a string",
      edit("manifest.json", (m) => ({ ...m, sites: (m.sites as Sites).map((s) => ({ ...s, file: 3 })) })),
      /manifest\.json: "sites\[0\]\.file" must be a string, not number 3/,
    ],
    [
      'heads "4"',
      edit("manifest.json", (m) => ({ ...m, sites: (m.sites as Sites).map((s) => ({ ...s, heads: "4" })) })),
      /manifest\.json: "sites\[0\]\.heads" must be a whole number ≥ 0, not the string "4"/,
    ],
    [
      "site id with a newline",
      edit("manifest.json", (m) => ({ ...m, sites: (m.sites as Sites).map((s) => ({ ...s, id: "two\nlines" })) })),
      /manifest\.json: "sites\[0\]\.id" must be a name \(no control characters, ≤ 200 long\), not the string "two\\nlines"/,
    ],
    [
      "masks a string",
      edit("manifest.json", (m) => ({ ...m, masks: "x" })),
      /manifest\.json: "masks" must be an object/,
    ],
    [
      "inputIds rows not lists",
      edit("manifest.json", (m) => ({ ...m, inputIds: { encoder: [1, 2] } })),
      /manifest\.json: "inputIds\.encoder\[0\]" must be a list, not number 1/,
    ],
    ["tokens.json a list", edit("tokens.json", () => [1]), /tokens\.json: the top level must be an object, not a list/],
    [
      "tokens.json rows of numbers",
      edit("tokens.json", () => ({ source: [["a"], 7] })),
      /tokens\.json: "source\[1\]" must be a list, not number 7/,
    ],
    ["metrics.json {}", edit("metrics.json", () => ({})), /metrics\.json: "sites" must be a list, not undefined/],
    [
      "metrics.json heads null",
      edit("metrics.json", (m) => ({ sites: (m.sites as Sites).map((s) => ({ ...s, heads: null })) })),
      /metrics\.json: "sites\[0\]\.heads" must be a list, not null/,
    ],
  ])("%s → one BAD_INPUT line naming the file and field", (name, files, message) => {
    const dir = writeDir(tmp, `named-${name.replace(/\W+/g, "-")}`, files);
    for (const fn of [() => readExtraction(dir), () => reportPath(dir)]) {
      let error: unknown = null;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(isKnownError(error), String(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain("\n");
    }
  });
});
