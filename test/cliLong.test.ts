/**
 * `attnlens long` on the pretrained all-MiniLM-L6-v2 export with a ~400-token text: what it writes
 * from lazy maps, one row block at a time, must equal what `extract` + `metrics --rollout` write
 * from the full maps of the same text (the reference: onnxruntime's own probabilities).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeNpy } from "../kernel-lib/src/output/files/npy";
import { attnlens } from "./cliRunner";
import { refCase } from "./refmodels/refModels";

const MODEL = path.join(refCase("minilm-fp32").dir, "onnx");
const work = mkdtempSync(path.join(tmpdir(), "attnlens-long-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SENTENCE =
  "Attention maps grow with the square of the input, so a long document is analysed from queries and keys, " +
  "one block of rows at a time, while the overview stays small enough to open in a browser. ";
const TEXT = SENTENCE.repeat(10);

interface HeadJson {
  head: number;
  entropy: number | null;
  distance: number | null;
  confidence: number | null;
}
interface MetricsFile {
  sites: { id: string; heads: HeadJson[] }[];
}

describe("attnlens long", () => {
  const textFile = path.join(work, "long.txt");
  writeFileSync(textFile, TEXT);
  const lazyDir = path.join(work, "lazy");
  const fullDir = path.join(work, "full");

  it("writes metrics, rollout, tokens and a tiled report equal to extract + metrics on the full maps", () => {
    const lazy = attnlens(
      "long",
      MODEL,
      "--text-file",
      textFile,
      "--out",
      lazyDir,
      "--rollout",
      "--providers",
      "cpu",
      "--block-mb",
      "0.25",
    );
    expect(lazy.stderr).toBe("");
    expect(lazy.code).toBe(0);
    expect(lazy.stdout).toMatch(/6 sites, \d+ positions \(cpu\): held .* instead of .* of maps; wrote tokens\.json/);
    const full = attnlens("extract", MODEL, "--text-file", textFile, "--out", fullDir, "--providers", "cpu");
    expect(full.code).toBe(0);
    expect(attnlens("metrics", fullDir, "--rollout").code).toBe(0);

    expect(JSON.parse(readFileSync(path.join(lazyDir, "tokens.json"), "utf8"))).toEqual(
      JSON.parse(readFileSync(path.join(fullDir, "tokens.json"), "utf8")),
    );
    const tokens = JSON.parse(readFileSync(path.join(lazyDir, "tokens.json"), "utf8")).source.length;
    expect(tokens).toBeGreaterThan(300);

    const got: MetricsFile = JSON.parse(readFileSync(path.join(lazyDir, "metrics.json"), "utf8"));
    const want: MetricsFile = JSON.parse(readFileSync(path.join(fullDir, "metrics.json"), "utf8"));
    expect(got.sites.map((s) => s.id)).toEqual(want.sites.map((s) => s.id));
    got.sites.forEach((site, i) => {
      site.heads.forEach((h, k) => {
        const w = want.sites[i].heads[k];
        for (const key of ["entropy", "distance", "confidence"] as const)
          expect(Math.abs((h[key] as number) - (w[key] as number)), `${site.id} head ${k} ${key}`).toBeLessThan(1e-4);
      });
    });

    const r1 = decodeNpy(readFileSync(path.join(lazyDir, "rollout.npy")));
    const r2 = decodeNpy(readFileSync(path.join(fullDir, "rollout.npy")));
    expect(r1.shape).toEqual(r2.shape);
    let worst = 0;
    for (let i = 0; i < r1.data.length; i++) worst = Math.max(worst, Math.abs(r1.data[i] - r2.data[i]));
    expect(worst).toBeLessThan(1e-5);

    const lazyJson = JSON.parse(readFileSync(path.join(lazyDir, "lazy.json"), "utf8"));
    expect(lazyJson.sites.every((s: { mode: string }) => s.mode === "lazy")).toBe(true);
    expect(lazyJson.bytes).toBeLessThan(lazyJson.fullBytes);
    const report = readFileSync(path.join(lazyDir, "report.html"), "utf8");
    expect(report).toContain('"tiles"');
  });

  it("refuses a missing text, a bad budget and a stack that is not one", () => {
    const noText = attnlens("long", MODEL, "--out", path.join(work, "x"));
    expect(noText.code).toBe(2);
    expect(noText.stderr).toContain('give the input: --text "..." or --text-file FILE');
    const badBudget = attnlens("long", MODEL, "--text", "hi", "--out", path.join(work, "x"), "--tile-mb", "0");
    expect(badBudget.stderr).toContain("--tile-mb takes a positive number of MB, not 0");
    const badStack = attnlens("long", MODEL, "--text", "hi", "--out", path.join(work, "x"), "--stack", "middle");
    expect(badStack.stderr).toContain('--stack must be encoder or decoder, not "middle"');
    expect(existsSync(path.join(work, "x"))).toBe(false);
  });
});
