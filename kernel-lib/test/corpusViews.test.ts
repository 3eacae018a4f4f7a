/**
 * The corpus payload and its views' data against independent numbers: a corpus directory made by
 * running the demo model on 45 sentences one by one (corpusFixture.ts), every aggregate recomputed
 * here with plain loops from the per-input values, typicality ranked by a naive sort.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  type CorpusPayload,
  corpusBoxes,
  corpusBoxSpec,
  corpusCells,
  corpusGridSpec,
  decodeCorpusPayload,
  headExamples,
  patternBarsSpec,
  patternShares,
} from "@attnlens/widgets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseInputRow } from "../src/output/corpus/inputsJsonl";
import { corpusBundle, corpusPayload } from "../src/output/display/corpus";
import { type CorpusFixture, FIXTURE_METRICS, HOSTILE_TEXT, makeCorpusDir } from "./corpusFixture";

const root = mkdtempSync(path.join(tmpdir(), "attnlens-corpusviews-"));
let fx: CorpusFixture;
let p: CorpusPayload;

beforeAll(async () => {
  fx = await makeCorpusDir(path.join(root, "run"));
  p = decodeCorpusPayload(JSON.parse(JSON.stringify(await corpusPayload(fx.dir))));
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

const values = (site: string, metric: string, head: number) =>
  fx.rows.map((r) => r.values[site][metric][head]).filter((x): x is number => x !== null);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-9, Math.abs(b));

describe("corpus payload from a corpus directory", () => {
  it("lists every metric and site, with 4 layers × 4 heads of the demo model", () => {
    expect(p.metrics).toEqual([
      "entropy",
      "normalizedEntropy",
      "distance",
      "confidence",
      "sink",
      "cls",
      "sep",
      "first",
      "self",
      "previous",
      "next",
      "punctuation",
    ]);
    expect(p.sites.map((s) => s.id)).toEqual([0, 1, 2, 3].map((l) => `encoder.self.${l}`));
    expect(p.sites.every((s) => s.heads === 4)).toBe(true);
    expect(p.inputs).toBe(45);
  });

  it("has, per head and metric, the mean over inputs of the per-input values (attnlens metrics' definitions)", () => {
    let checked = 0;
    for (const site of p.sites)
      for (const m of FIXTURE_METRICS)
        for (let h = 0; h < site.heads; h++) {
          const xs = values(site.id, m, h);
          const s = site.stats[m][h];
          if (xs.length === 0) {
            expect(s).toBeNull();
            continue;
          }
          expect(s?.n).toBe(xs.length);
          expect(rel(s?.mean as number, mean(xs))).toBeLessThan(1e-12);
          const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
          expect(Math.abs((s?.std as number) - sd)).toBeLessThan(1e-12);
          checked++;
        }
    expect(checked).toBeGreaterThan(100);
  });

  it("grid and box specs carry the means, spreads and quantiles of the per-input values", () => {
    const grid = corpusGridSpec(corpusCells(p, "entropy"), "entropy");
    const cells = (grid.datasets as Record<string, { site: string; head: number; mean: number; iqr: number }[]>)
      .corpusCells;
    expect(cells).toHaveLength(16);
    for (const c of cells) {
      const sorted = values(c.site, "entropy", c.head).sort((a, b) => a - b);
      const q = (x: number) => sorted[Math.round(x * (sorted.length - 1))];
      expect(rel(c.mean, mean(sorted))).toBeLessThan(1e-12);
      expect(Math.abs(c.iqr - (q(0.75) - q(0.25)))).toBeLessThan(1e-12);
    }
    const box = corpusBoxSpec(corpusBoxes(p, 2, "distance"), "encoder.self.2", "distance");
    const rows = (box.datasets as Record<string, Record<string, number>[]>).corpusBoxes;
    expect(rows.map((r) => r.head)).toEqual([0, 1, 2, 3]);
    for (const r of rows) {
      const sorted = values("encoder.self.2", "distance", r.head).sort((a, b) => a - b);
      const q = (x: number) => sorted[Math.round(x * (sorted.length - 1))];
      expect([r.q05, r.q25, r.q50, r.q75, r.q95]).toEqual([q(0.05), q(0.25), q(0.5), q(0.75), q(0.95)]);
      expect(r.lo).toBeCloseTo(mean(sorted) - (1.96 * r.std) / Math.sqrt(sorted.length), 12);
    }
  });

  it("pattern bars: the share of inputs given each label, per head", () => {
    const bars = patternBarsSpec(patternShares(p, 1), "encoder.self.1");
    const shares = (bars.datasets as Record<string, { head: number; pattern: string; share: number }[]>).corpusPatterns;
    for (let h = 0; h < 4; h++) {
      const labels = fx.labels["encoder.self.1"][h];
      const expected = Object.fromEntries(
        [...new Set(labels)].map((l) => [l, labels.filter((x) => x === l).length / labels.length]),
      );
      const got = Object.fromEntries(shares.filter((s) => s.head === h).map((s) => [s.pattern, s.share]));
      expect(got).toEqual(expected);
    }
  });

  it("lists, per head, the inputs with the smallest and largest mean squared z-score (naive sort)", () => {
    const K = 3;
    const ex = p.examples;
    expect(ex?.metrics).toEqual(["entropy", "distance", "confidence", "sink"]);
    for (const site of p.sites)
      for (let h = 0; h < site.heads; h++) {
        const scored = fx.rows.map((r) => {
          let sum = 0;
          let used = 0;
          for (const m of ex?.metrics ?? []) {
            const xs = values(site.id, m, h);
            const mu = mean(xs);
            const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mu) ** 2, 0) / (xs.length - 1));
            const x = r.values[site.id][m][h];
            if (x === null || !(sd > 0)) continue;
            sum += ((x - mu) / sd) ** 2;
            used++;
          }
          return { input: r.input, score: sum / used };
        });
        const byScore = [...scored].sort((a, b) => a.score - b.score || a.input - b.input);
        const lists = headExamples(p, p.sites.indexOf(site), h, "entropy");
        expect(lists?.typical.map((r) => r.input)).toEqual(byScore.slice(0, K).map((s) => s.input));
        const worst = [...scored].sort((a, b) => b.score - a.score || a.input - b.input);
        expect(lists?.atypical.map((r) => r.input)).toEqual(worst.slice(0, K).map((s) => s.input));
        for (const r of lists?.typical ?? []) {
          expect(r.value).toBeCloseTo(fx.rows[r.input].values[site.id].entropy[h] as number, 5);
          expect(rel(r.score, scored[r.input].score)).toBeLessThan(1e-5);
        }
      }
    // Bounded: at most K per side per head, each input once.
    expect(ex?.inputs.length).toBeLessThanOrEqual(16 * 2 * K);
    expect(new Set(ex?.inputs.map((i) => i.input)).size).toBe(ex?.inputs.length);
  });

  it("over maxBytes keeps the typicality metrics' values only, then fewer inputs per head, and says so", async () => {
    const full = JSON.stringify(p.examples).length;
    const lean = await corpusPayload(fx.dir, { maxBytes: full - 1 });
    expect(lean.examples?.perHead).toBe(3);
    expect(lean.notes).toContain(
      `embedded inputs carry the values of entropy, distance, confidence, sink only, to stay under ${full - 1} bytes (maxBytes)`,
    );
    for (const input of lean.examples?.inputs ?? [])
      for (const perMetric of Object.values(input.values))
        expect(Object.keys(perMetric)).toEqual(["entropy", "distance", "confidence", "sink"]);
    const budget = JSON.stringify(lean.examples).length - 1;
    const cut = await corpusPayload(fx.dir, { maxBytes: budget });
    const k = cut.examples?.perHead as number;
    expect(k).toBeLessThan(3);
    expect(JSON.stringify(cut.examples).length).toBeLessThanOrEqual(budget);
    expect(cut.notes).toContain(`typical inputs per head cut from 3 to ${k} to stay under ${budget} bytes (maxBytes)`);
    for (const [row, site] of p.sites.entries())
      for (let h = 0; h < site.heads; h++)
        for (const side of ["typical", "atypical"] as const) {
          expect(headExamples(lean, row, h, "entropy")?.[side].map((r) => r.input)).toEqual(
            headExamples(p, row, h, "entropy")?.[side].map((r) => r.input),
          );
          expect(headExamples(cut, row, h, "entropy")?.[side].map((r) => r.input)).toEqual(
            headExamples(p, row, h, "entropy")
              ?.[side].slice(0, k)
              .map((r) => r.input),
          );
        }
    const none = await corpusPayload(fx.dir, { maxBytes: 10 });
    expect(none.examples).toBeUndefined();
    expect(none.notes).toContain("typical inputs left out: even one per head is over 10 bytes (maxBytes)");
  });

  it("a parsed summary.json with its rows in memory gives the same payload as the directory", async () => {
    expect(await corpusPayload(fx.summary, { rows: fx.rows })).toEqual(await corpusPayload(fx.dir));
  });

  it("keeps a hostile input's text as data, and leaves it out of the static table", async () => {
    // Its values are unusual (mostly [UNK] tokens): some head lists it as least typical.
    const hostile = p.examples?.inputs.find((i) => i.input === 44);
    expect(hostile?.text).toBe(HOSTILE_TEXT);
    const bundle = await corpusBundle(fx.dir);
    const html = bundle.data["text/html"] as string;
    expect(html).not.toMatch(/<img|<script/);
    expect(html).toContain("<td>encoder.self.3</td>");
  });

  it("clusters all 16 heads: the leaf order is a permutation, every cluster has heads", () => {
    const c = p.clusters;
    expect(c?.k).toBe(3);
    const order = (c?.order ?? []).map(([row, head]) => `${row}:${head}`);
    expect(new Set(order).size).toBe(16);
    const sizes = new Array(c?.k).fill(0);
    for (const s of p.sites) for (const k of s.cluster ?? []) sizes[k]++;
    expect(sizes.every((n) => n > 0)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(16);
  });
});

describe("corpus directories that are wrong", () => {
  it("a directory without summary.json: says how to make one", async () => {
    const dir = path.join(root, "empty");
    mkdirSync(dir, { recursive: true });
    await expect(corpusPayload(dir)).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: expect.stringContaining("has no summary.json; run `attnlens corpus MODEL DATA --out"),
    });
  });

  it("a summary of another version, or with a non-number mean: names the place", async () => {
    await expect(corpusPayload({ ...fx.summary, version: 2 })).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: expect.stringContaining("version is 2, this attnlens reads version 1"),
    });
    const broken = JSON.parse(JSON.stringify(fx.summary));
    broken.sites[1].heads[2].entropy.mean = "<b>x</b>";
    await expect(corpusPayload(broken)).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: expect.stringContaining("sites[1].heads[2].entropy.mean is not a number"),
    });
  });

  it("bad lines of inputs.jsonl are skipped and counted with their line numbers", async () => {
    const dir = path.join(root, "badlines");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "summary.json"), JSON.stringify(fx.summary));
    const lines = fx.rows.slice(0, 10).map((r) => JSON.stringify(r));
    lines.splice(3, 0, "{not json", JSON.stringify({ input: -1, text: "x", values: {} }));
    // Keys that are no site id or metric name are ignored (none reaches a prototype).
    lines.push(
      '{"input": 10, "text": "t", "values": {"__proto__": {"polluted": [1]}, "encoder.self.0": {"__proto__": [1], "constructor": [2]}}}',
    );
    writeFileSync(path.join(dir, "inputs.jsonl"), lines.join("\n"));
    const q = await corpusPayload(dir);
    expect(q.notes).toContain("inputs.jsonl: 2 unreadable line(s) skipped (lines 4, 5)");
    expect(q.examples?.inputs.every((i) => i.input <= 10)).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(parseInputRow(JSON.parse(lines.at(-1) as string))).toEqual({
      input: 10,
      text: "t",
      values: { "encoder.self.0": {} },
    });
  });

  it("a summary.json that links out of the directory is refused", async () => {
    const dir = path.join(root, "link");
    mkdirSync(dir, { recursive: true });
    symlinkSync(path.join(fx.dir, "summary.json"), path.join(dir, "summary.json"));
    await expect(corpusPayload(dir)).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: expect.stringContaining("links to a file outside"),
    });
  });
});
