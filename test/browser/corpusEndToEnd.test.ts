/**
 * A corpus run meets its views, as a user chains them (built CLI, headless Chromium):
 * `attnlens corpus` on the demo model over 41 lines (one empty, one hostile), then
 * `attnlens report --corpus DIR`, then a click on a head. The lists it shows must be those of a
 * naive ranking computed here from the engine's own DIR/inputs.jsonl: each input's mean, over
 * entropy, distance, confidence and sink mass, of its squared z-score against the head's mean and
 * sample std — both recomputed here from the file's values (and checked against summary.json).
 * The hostile text is shown as text. `showCorpus(DIR)` on the same directory sends the same lists.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ATTNLENS_MIME } from "../../widgets/src/mime";
import { attnlens as cli } from "../cliRunner";
import { type Browser, launchChromium, refuseNetwork, watchErrors } from "../jupyter/browser";
import { ensureBuilt, removeTempDirs, tempDir } from "../jupyter/setup";

const TYPICALITY = ["entropy", "distance", "confidence", "sink"];
const HOSTILE = '<img src=x onerror="window.__pwned=1"> the dogs <b>are</b> tired.';
const tmp = tempDir("corpus-e2e");
const dir = path.join(tmp, "run");

/** 39 different sentences of the demo model's language, an empty line (line 11), the hostile one last. */
function dataLines(): string[] {
  const out: string[] = [];
  for (const s of ["dog", "dogs", "cat", "cats", "animal", "animals"])
    for (const p of ["car", "cars", "street", "streets"])
      for (const st of ["hungry", "tired", "scared"])
        out.push(`The ${s} near the ${p} ${s.endsWith("s") ? "are" : "is"} ${st}.`);
  const lines = out.filter((_, i) => i % 5 !== 4).slice(0, 39);
  lines.splice(10, 0, "");
  return [...lines, HOSTILE];
}

interface InputLine {
  input: number;
  text: string;
  values: Record<string, Record<string, (number | null)[]>>;
}
type Summary = {
  inputs: number;
  sites: { id: string; heads: Record<string, { n: number; mean: number | null; std: number | null }>[] }[];
};

let lines: string[];
let rows: InputLine[];
let summary: Summary;
let browser: Browser;
let page: Page;
let errors: string[];
const events: string[] = [];

/** The naive ranking of one head, with every input's score (NaN: no metric to compare). */
function naive(site: string, head: number) {
  const stats = TYPICALITY.map((m) => {
    const xs = rows.map((r) => r.values[site][m][head]).filter((x): x is number => x !== null);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
    return { m, mean, std };
  });
  const score = new Map(
    rows.map((r) => {
      let sum = 0;
      let used = 0;
      for (const { m, mean, std } of stats) {
        const x = r.values[site][m][head];
        if (x === null || !(std > 0)) continue;
        sum += ((x - mean) / std) ** 2;
        used++;
      }
      return [r.input, used > 0 ? sum / used : Number.NaN];
    }),
  );
  const ids = rows.map((r) => r.input).filter((i) => !Number.isNaN(score.get(i)));
  const s = (i: number) => score.get(i) as number;
  return {
    stats,
    score: s,
    typical: [...ids].sort((a, b) => s(a) - s(b) || a - b),
    atypical: [...ids].sort((a, b) => s(b) - s(a) || a - b),
  };
}

/** True when the first k+1 scores of a ranking are apart (so rounding in the file cannot reorder them). */
function separated(order: number[], score: (i: number) => number, k: number): boolean {
  for (let j = 0; j < k; j++) {
    const [a, b] = [score(order[j]), score(order[j + 1])];
    if (Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(a))) return false;
  }
  return true;
}

beforeAll(async () => {
  ensureBuilt("kernel-lib", "widgets");
  lines = dataLines();
  const data = path.join(tmp, "sentences.txt");
  writeFileSync(data, `${lines.join("\n")}\n`);
  const run = cli(
    "corpus",
    "tiny-agreement-bert",
    data,
    "--out",
    dir,
    "--batch",
    "4",
    "--checkpoint-every",
    "3",
    "--providers",
    "cpu",
  );
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toContain("40 inputs measured, 1 skipped (empty 1)");
  rows = readFileSync(path.join(dir, "inputs.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  summary = JSON.parse(readFileSync(path.join(dir, "summary.json"), "utf8"));
  const report = cli("report", "--corpus", dir, "-o", path.join(tmp, "corpus.html"));
  expect(report.code, report.stderr).toBe(0);
  browser = await launchChromium();
  await refuseNetwork(browser, (url) => events.push(`request: ${url}`));
  page = await browser.newPage();
  errors = watchErrors(page);
  page.on("dialog", (d) => {
    events.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(pathToFileURL(path.join(tmp, "corpus.html")).href);
  await page.waitForFunction(() => (window as unknown as { attnlensReport?: unknown }).attnlensReport !== undefined);
  await page.evaluate(() => (window as unknown as { attnlensReport: { ready: Promise<number> } }).attnlensReport.ready);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  removeTempDirs();
});

describe("attnlens corpus → inputs.jsonl", () => {
  it("has one line per measured input: input i is DATA's line i + 1, its text, every site and head", () => {
    const measured = lines.map((t, i) => ({ t, i })).filter(({ t }) => t !== "");
    expect(rows.map((r) => r.input)).toEqual(measured.map(({ i }) => i));
    expect(rows.map((r) => r.text)).toEqual(measured.map(({ t }) => t));
    for (const r of rows) {
      expect(Object.keys(r.values)).toEqual(summary.sites.map((s) => s.id));
      for (const s of summary.sites) {
        expect(Object.keys(r.values[s.id])).toEqual(TYPICALITY);
        for (const m of TYPICALITY) expect(r.values[s.id][m]).toHaveLength(s.heads.length);
      }
    }
  });

  it("its values give summary.json's mean and std of every head (to the file's 7 digits)", () => {
    for (const s of summary.sites)
      s.heads.forEach((h, k) => {
        for (const { m, mean, std } of naive(s.id, k).stats) {
          expect(h[m].n).toBe(40);
          expect(Math.abs((h[m].mean as number) - mean)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(mean)));
          expect(Math.abs((h[m].std as number) - std)).toBeLessThanOrEqual(1e-5 * Math.max(1e-3, std));
        }
      });
  });
});

describe("attnlens report --corpus on the run, in Chromium", () => {
  it("a click on a head lists the naive ranking's most and least typical inputs", async () => {
    const hostile = lines.length - 1; // the last line's 0-based record number
    const heads = summary.sites.flatMap((s, row) => s.heads.map((_, head) => ({ site: s.id, row, head })));
    // A head that ranks the hostile input among its 3 least typical, with no near-tie in either list.
    const target = heads.find(({ site, head }) => {
      const o = naive(site, head);
      return (
        o.atypical.slice(0, 3).includes(hostile) &&
        separated(o.typical, o.score, 3) &&
        separated(o.atypical, o.score, 3)
      );
    });
    expect(target, "no head ranks the hostile input among its least typical").toBeDefined();
    const { site, row, head } = target as (typeof heads)[number];
    const before = Number(await page.getAttribute(".attnlens-corpus", "data-updates"));
    await page
      .locator("g.corpus_grid_marks path")
      .nth(row * summary.sites[0].heads.length + head)
      .click({ force: true });
    await page.waitForFunction(
      (k) => Number(document.querySelector(".attnlens-corpus")?.getAttribute("data-updates")) > k,
      before,
    );
    expect(await page.getAttribute(".attnlens-corpus-head", "data-head")).toBe(`${site}:${head}`);
    const ids = (side: string) =>
      page
        .locator(`.attnlens-corpus-${side} li`)
        .evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-input"))));
    const order = naive(site, head);
    expect(await ids("typical")).toEqual(order.typical.slice(0, 3));
    expect(await ids("atypical")).toEqual(order.atypical.slice(0, 3));

    // The hostile input, listed and opened, is text: no element made from it, no script run.
    const item = page.locator(`.attnlens-corpus-atypical li[data-input="${hostile}"] button`);
    expect(await item.textContent()).toBe(HOSTILE);
    await item.click();
    await page.waitForSelector(`.attnlens-corpus-open[data-input="${hostile}"]`);
    expect(await page.textContent(".attnlens-corpus-open .attnlens-corpus-text")).toBe(HOSTILE);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img[src="x"], .attnlens-corpus b').count()).toBe(0);
    expect(errors).toEqual([]);
    expect(events).toEqual([]);
  });
});

describe("showCorpus(DIR) on the same run", () => {
  it("sends the overview with the same typical inputs through the kernel", async () => {
    const load = createRequire(__filename);
    const api = load("attnlens") as typeof import("attnlens");
    const fakeId = "/fake/node_modules/tslab/dist/jupyter.js";
    const sent: { data: Record<string, unknown> }[] = [];
    load.cache[fakeId] = {
      id: fakeId,
      filename: fakeId,
      loaded: true,
      exports: { lastWriteDisplayData: (message: never, _update: boolean) => sent.push(message) },
    } as never;
    try {
      await api.showCorpus(dir);
    } finally {
      delete load.cache[fakeId];
    }
    expect(sent).toHaveLength(1);
    const p = sent[0].data[ATTNLENS_MIME] as {
      kind: string;
      inputs: number;
      examples: {
        inputs: { input: number; text: string }[];
        heads: Record<string, { typical: [number, number][]; atypical: [number, number][] }[]>;
      };
    };
    expect([p.kind, p.inputs]).toEqual(["corpus", 40]);
    const input = (i: number) => p.examples.inputs[i];
    for (const s of summary.sites)
      s.heads.forEach((_, k) => {
        const o = naive(s.id, k);
        const lists = p.examples.heads[s.id][k];
        for (const [side, order] of [
          ["typical", o.typical],
          ["atypical", o.atypical],
        ] as const) {
          const shown = lists[side].map(([i]) => input(i).input);
          // Where the file's rounding could reorder near-ties, the scores must still match rank by rank.
          if (separated(order, o.score, 3)) expect(shown).toEqual(order.slice(0, 3));
          else shown.forEach((id, j) => expect(o.score(id)).toBeCloseTo(o.score(order[j]), 4));
        }
      });
    const texts = p.examples.inputs.map((x) => x.text);
    expect(texts).toContain(HOSTILE); // some head ranks it least typical (the test above found one)
    expect(String(sent[0].data["text/html"])).not.toContain("<img");
    expect(texts.every((t) => lines.includes(t))).toBe(true);
  });
});
