/**
 * A probe suite's table as a notebook output and a report section. The expected per-head counts
 * are recounted here from the maps the fake model returned (bidirectional, no padding: a head holds
 * where A[from, to] − A[from, other] > 1 / T), not read back from the table; every name the user
 * controls (suite, group) is hostile markup that must come out escaped. The report's inline heatmap
 * is recounted the same way: a cell per group and head, and a star on each head whose paired
 * differences A[from, to] − A[from, other] pass a sign-flip test (every sign pattern enumerated
 * here) after Holm's correction over the group's heads.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runProbeSuite, type SuiteModel } from "../../analysis/probes/runSuite";
import type { ProbeSuite } from "../../analysis/probes/suites";
import type { AttentionResult } from "../../result/types";
import { sampleResult } from "../payload/sample";
import { exportReport, reportDocument } from "../report/export";
import { REPORT_CSP } from "../report/html";
import { suiteBundle } from "./suite";

const HOSTILE = "<img src=x onerror=alert(1)>";
const ESCAPED = "&lt;img src=x onerror=alert(1)&gt;";

const TEXTS = [
  "the dog near the cars is hungry",
  "the boys behind the box are here",
  "a girl beside the tables was sleepy",
  "the cats near a chair were quiet",
  "the farmer behind the cars has arrived",
  "those teachers beside the box have left",
];
const FROM = ["is", "are", "was", "were", "has", "have"];
const TO = ["dog", "boys", "girl", "cats", "farmer", "teachers"];
const OTHER = ["cars", "box", "tables", "chair", "cars", "box"];

const suite: ProbeSuite = {
  name: `suite ${HOSTILE}`,
  cases: TEXTS.map((text, i) => ({
    group: i < 3 ? HOSTILE : "plain group",
    text,
    from: FROM[i],
    to: TO[i],
    other: OTHER[i],
  })),
};

/** Random maps over the sentence's words, a different seed per sentence. */
const runs = new Map<string, AttentionResult>();
const model: SuiteModel = {
  async run(text) {
    const words = text.split(" ");
    const result = sampleResult({
      layers: 2,
      heads: 3,
      tokens: words.length + 2,
      words,
      seed: 11 + TEXTS.indexOf(text),
      patterns: ["random"],
    });
    runs.set(text, result);
    return result;
  },
};

/** Per group, per "site h<head>": sentences where the head holds, recounted from the maps. */
function recount(): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  suite.cases.forEach((c, i) => {
    const result = runs.get(c.text) as AttentionResult;
    const words = c.text.split(" ");
    const at = (w: string) => words.indexOf(w) + 1; // [CLS] first
    const [f, t, o] = [at(FROM[i]), at(TO[i]), at(OTHER[i])];
    const counts = out.get(c.group) ?? new Map<string, number>();
    for (const site of result.sites) {
      const [, H, T, S] = site.dims;
      for (let h = 0; h < H; h++) {
        const row = (h * T + f) * S;
        const holds = site.data[row + t] - site.data[row + o] > 1 / S;
        const key = `${site.id} h${h}`;
        counts.set(key, (counts.get(key) ?? 0) + (holds ? 1 : 0));
      }
    }
    out.set(c.group, counts);
  });
  return out;
}

describe("probe suite display and report", () => {
  it("the bundle has the static heatmap and the recounted per-head numbers, names escaped", async () => {
    const table = await runProbeSuite(model, suite);
    const bundle = await suiteBundle(table, { shown: 100 });
    const svg = bundle.data["image/svg+xml"] as string;
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).not.toContain("<img");
    expect(svg).toContain(ESCAPED); // the hostile group's panel title, as text
    const html = bundle.data["text/html"] as string;
    expect(html).not.toContain("<img");
    expect(html).toContain(ESCAPED);
    // notebooks pick HTML over SVG: the picture is inline in the HTML too, above the table
    expect(html.indexOf(svg)).toBeGreaterThan(0);
    expect(html.indexOf(svg)).toBeLessThan(html.indexOf('<table class="attnlens-suite">'));
    const bare = await suiteBundle(table, { fallback: false });
    expect(bare.data["image/svg+xml"]).toBeUndefined();
    expect(bare.data["text/html"]).not.toContain("<svg");
    const expected = recount();
    let nonzero = 0;
    for (const [group, counts] of expected) {
      const section = html.split("<h3>").find((s) => s.startsWith(group.replace("<", "&lt;").replace(">", "&gt;")));
      expect(section, group).toBeDefined();
      for (const [key, holds] of counts) {
        const [site, head] = key.split(" h");
        expect(section, key).toContain(`<tr><td>${site}</td><td>${head}</td><td>${holds}/3</td>`);
        nonzero += holds;
      }
    }
    expect(nonzero).toBeGreaterThan(0); // the counts are not all zero by accident
    expect(bundle.data["text/plain"]).toBe(String(table));
  });

  it("exportReport's page has the suite section beside a result's, with hostile names escaped", async () => {
    const table = await runProbeSuite(model, suite);
    for (const format of ["standalone", "widget-state"] as const) {
      const page = reportDocument([{ suite: table }, sampleResult({ layers: 1, heads: 2 })], { format });
      expect(page).not.toContain(HOSTILE);
      expect(page).toContain(`<h2>suite ${ESCAPED}</h2>`);
      expect(page).toContain(`<h3>${ESCAPED} · 3 sentences</h3>`);
      expect(page).toContain('<table class="attnlens-suite">');
      // the synchronous page has no picture
      expect(page).not.toContain('<figure class="attnlens-suite-view"');
    }
    const standalone = reportDocument([{ suite: table }, sampleResult({ layers: 1, heads: 2 })]);
    // the standalone page's notes say where the picture is drawn
    expect(standalone).toContain(
      "<li>heatmap left out: reportDocument builds the page synchronously; exportReport draws it</li>",
    );
    // The result still gets its view; the suite section has none.
    expect(standalone.match(/data-attnlens-payload=/g)).toHaveLength(1);
  });

  it("a value that is not a suite table is refused with what to pass", async () => {
    await expect(suiteBundle({} as never)).rejects.toThrow(/runProbeSuite/);
    expect(() => reportDocument([{ suite: { groups: 1 } as never }])).toThrow(/runProbeSuite/);
  });
});

/** 8 sentences per group, so the exact sign-flip p can reach 1/256 (Holm over 6 heads: 0.023). */
const leanSuite: ProbeSuite = {
  name: `lean ${HOSTILE}`,
  cases: Array.from({ length: 16 }, (_, i) => ({
    group: i < 8 ? HOSTILE : "plain group",
    text: `${TEXTS[i % 6]} ${i}`,
    from: FROM[i % 6],
    to: TO[i % 6],
    other: OTHER[i % 6],
  })),
};
/**
 * Independent random maps per sentence, but in layer 1 head 0 (and in the hostile group also layer 0
 * head 2) the `from` row puts half its mass on `to`.
 */
const leanRuns = new Map<string, AttentionResult>();
const leanModel: SuiteModel = {
  async run(text) {
    const i = leanSuite.cases.findIndex((c) => c.text === text);
    const c = leanSuite.cases[i];
    const words = text.split(" ");
    const result = sampleResult({
      layers: 2,
      heads: 3,
      tokens: words.length + 2,
      words,
      seed: 1000 * (i + 1),
      patterns: ["random"],
    });
    const at = (w: unknown) => words.indexOf(String(w)) + 1;
    const leaning =
      i < 8
        ? [
            [1, 0],
            [0, 2],
          ]
        : [[1, 0]];
    for (const [layer, h] of leaning) {
      const site = result.sites[layer];
      const [, , T, S] = site.dims;
      const row = (h * T + at(c.from)) * S;
      site.data[row + at(c.to)] += 1;
      for (let j = 0; j < S; j++) site.data[row + j] /= 2;
    }
    leanRuns.set(text, result);
    return result;
  },
};

/**
 * From the maps: per group, the heads with Holm-adjusted sign-flip p < 0.05 (every sign pattern),
 * and every cell's "site h<head> k/8" (k = sentences where A[from, to] − A[from, other] > 1 / S).
 */
function recountLean(): { stars: Map<string, string[]>; cells: string[] } {
  const holds = new Map<string, number>();
  const diffs = new Map<string, Map<string, number[]>>();
  for (const c of leanSuite.cases) {
    const result = leanRuns.get(c.text) as AttentionResult;
    const words = c.text.split(" ");
    const at = (w: unknown) => words.indexOf(String(w)) + 1;
    const byHead = diffs.get(c.group) ?? new Map<string, number[]>();
    for (const site of result.sites) {
      const [, H, T, S] = site.dims;
      for (let h = 0; h < H; h++) {
        const row = (h * T + at(c.from)) * S;
        const key = `${site.id} h${h}`;
        const d = site.data[row + at(c.to)] - site.data[row + at(c.other)];
        byHead.set(key, [...(byHead.get(key) ?? []), d]);
        const cell = `${c.group}\u0000${key}`;
        holds.set(cell, (holds.get(cell) ?? 0) + (d > 1 / S ? 1 : 0));
      }
    }
    diffs.set(c.group, byHead);
  }
  const out = new Map<string, string[]>();
  for (const [group, byHead] of diffs) {
    const p = [...byHead].map(([key, d]) => {
      const observed = d.reduce((a, b) => a + b, 0);
      let extreme = 0;
      for (let mask = 0; mask < 2 ** d.length; mask++) {
        const flipped = d.reduce((a, x, i) => a + ((mask >> i) & 1 ? -x : x), 0);
        if (flipped >= observed - 1e-9) extreme++;
      }
      return { key, p: extreme / 2 ** d.length };
    });
    // Holm: the k-th smallest p (k from 0) times (m − k), running maximum, capped at 1
    p.sort((a, b) => a.p - b.p);
    let running = 0;
    const stars = p.filter((x, k) => {
      running = Math.max(running, Math.min(1, (p.length - k) * x.p));
      return running < 0.05;
    });
    out.set(
      group,
      stars.map((x) => x.key),
    );
  }
  const cells = [...holds].map(([cell, k]) => `${cell.split("\u0000")[1]} ${k}/8`);
  return { stars: out, cells: cells.sort() };
}

describe("the suite's heatmap in exportReport's page", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "attnlens-suite-report-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is inline SVG (no script, no network) with a cell per head, the recounted stars and hostile names escaped", async () => {
    const table = await runProbeSuite(leanModel, leanSuite);
    const file = path.join(dir, "suite.html");
    for (const format of ["standalone", "widget-state"] as const) {
      await exportReport([{ suite: table }, sampleResult({ layers: 1, heads: 2 })], file, { format });
      const page = readFileSync(file, "utf8");
      expect(page).not.toContain(HOSTILE);
      const section = page.slice(
        page.indexOf(`<h2>lean ${ESCAPED}</h2>`),
        page.indexOf('<table class="attnlens-suite">'),
      );
      const svg = /<figure class="attnlens-suite-view"[^>]*>(<svg[\s\S]*?<\/svg>)<\/figure>/.exec(section)?.[1] ?? "";
      expect(svg, format).not.toBe("");
      expect(svg).not.toMatch(/<script|<img|<foreignObject|<image|href=|url\((?!#)/i); // nothing to run or fetch
      expect(svg).toContain(ESCAPED); // the hostile group's panel title, as text
      const expected = recountLean();
      // one rect per group and head (2 groups × 2 sites × 3 heads), its label naming the recounted sentences
      const rects = [...svg.matchAll(/<g class="mark-rect role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)].flatMap((m) => [
        ...m[1].matchAll(/<path aria-label="head: (\d+); site: ([\w.]+); holds in: [\d.]+; sentences: (\d+\/8);/g),
      ]);
      expect(rects.map(([, head, site, k]) => `${site} h${head} ${k}`).sort()).toEqual(expected.cells);
      const stars = [...svg.matchAll(/<g class="mark-text role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)]
        .map((m) => (m[1].match(/>\*<\/text>/g) ?? []).length)
        .reduce((a, b) => a + b, 0);
      // the leaning heads, and only they, pass in this draw; the view stars as many heads as the recount
      expect(expected.stars.get(HOSTILE)?.sort()).toEqual(["encoder.self.0 h2", "encoder.self.1 h0"]);
      expect(expected.stars.get("plain group")).toEqual(["encoder.self.1 h0"]);
      expect(stars).toBe(3);
    }
    expect(REPORT_CSP).toContain("default-src 'none'");
  });
});
