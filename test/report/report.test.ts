/**
 * Reports: `attnlens report DIR -o report.html` on a real extraction (with and without tokens.json
 * and metrics.json), `exportReport` with several results, and the page itself in Chromium from
 * file:// with every network request refused: it draws, logs no error, and hostile tokens stay text.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attnlens as cli, extractOnCpu } from "../cliRunner";
import { type Browser, launchChromium, refuseNetwork, watchErrors } from "../jupyter/browser";
import { HOSTILE_TOKENS, syntheticResult } from "../jupyter/results";
import { ensureBuilt, ROOT, removeTempDirs, tempDir } from "../jupyter/setup";

type Attnlens = typeof import("attnlens");
const load = createRequire(__filename);
const tmp = tempDir("report");
const FIXTURE = path.join(ROOT, "kernel-lib", "test", "fixtures", "bert_like");
const REAL_BERT = path.join(ROOT, "kernel-lib", "test", "fixtures", "real", "bert");

/** The JSON payloads inlined in a report page. */
function payloadsOf(html: string): {
  tokens: Record<string, { text: string[][]; synthetic?: boolean }>;
  sites: { id: string; metrics?: { entropy: (number | null)[] }; patterns?: { label: string }[] }[];
}[] {
  return [...html.matchAll(/<script type="application\/json" id="attnlens-payload-\d+">([^<]*)<\/script>/g)].map((m) =>
    JSON.parse(m[1]),
  );
}

let attnlens: Attnlens;
let extraction: string;

afterAll(removeTempDirs);

beforeAll(() => {
  ensureBuilt("kernel-lib", "widgets");
  attnlens = load("attnlens") as Attnlens;
  extraction = path.join(tmp, "bert");
  const r = extractOnCpu(path.join(FIXTURE, "model.onnx"), path.join(FIXTURE, "feeds.json"), extraction);
  expect(r.code, r.stderr).toBe(0);
});

describe("attnlens report DIR -o report.html", () => {
  it("without tokens.json: positions labelled by index, metrics computed", () => {
    const out = path.join(tmp, "plain.html");
    const r = cli("report", extraction, "-o", out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/report written to .*plain\.html \(\d+ KiB\)/);
    const html = readFileSync(out, "utf8");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/i); // nothing loaded from anywhere
    expect(html).toContain('http-equiv="Content-Security-Policy"');
    const [payload] = payloadsOf(html);
    expect(payload.tokens.source.synthetic).toBe(true);
    expect(payload.tokens.source.text[0].slice(0, 3)).toEqual(["0", "1", "2"]);
    expect(payload.sites.map((s) => s.id)).toEqual(["encoder.self.0", "encoder.self.1"]);
    expect(payload.sites[0].metrics?.entropy.length).toBe(4);
    expect(html).toContain("no tokens.json: positions are labelled by index");
  });

  it("with tokens.json and metrics.json: their tokens and metrics", () => {
    const dir = path.join(tmp, "bert-tokens");
    const r0 = extractOnCpu(path.join(FIXTURE, "model.onnx"), path.join(FIXTURE, "feeds.json"), dir);
    expect(r0.code, r0.stderr).toBe(0);
    const words = [
      "[CLS]",
      "<img src=x onerror=alert(1)>",
      '"><script>window.pwned=1</script>',
      "cat",
      "</script>",
      "sat",
      "&amp;",
      "[SEP]",
    ];
    writeFileSync(path.join(dir, "tokens.json"), JSON.stringify({ source: words }));
    const heads = [0, 1, 2, 3].map((h) => ({
      head: h,
      entropy: 1.5 + h,
      distance: 2,
      confidence: 0.5,
      pattern: { label: "induction", confidence: 0.9 },
    }));
    const metrics = {
      sites: [0, 1].map((l) => ({ id: `encoder.self.${l}`, layer: l, stack: "encoder", kind: "self", heads })),
    };
    writeFileSync(path.join(dir, "metrics.json"), JSON.stringify(metrics));
    const out = path.join(tmp, "tokens.html");
    const r = cli("report", dir, "-o", out, "--title", "<b>hostile title</b>");
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, "utf8");
    const [payload] = payloadsOf(html);
    expect(payload.tokens.source.text).toEqual([words, words]);
    expect(payload.sites[1].metrics?.entropy).toEqual([1.5, 2.5, 3.5, 4.5]);
    expect(payload.sites[1].patterns?.map((p) => p.label)).toEqual(Array(4).fill("induction"));
    expect(html).toContain("<title>&lt;b&gt;hostile title&lt;/b&gt;</title>");
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("window.pwned=1</script>");
  });

  // The whole CLI pipeline on a tokenizer-bearing fixture (committed under fixtures/real).
  it("extract --text → metrics → report", () => {
    const dir = path.join(tmp, "pipeline");
    const e = cli(
      "extract",
      REAL_BERT,
      "--text",
      "The cat <b>sat</b>",
      "--out",
      dir,
      "--providers",
      "cpu",
      "--offline",
    );
    expect(e.code, e.stderr).toBe(0);
    expect(cli("metrics", dir).code).toBe(0);
    const out = path.join(tmp, "pipeline.html");
    const r = cli("report", dir, "-o", out);
    expect(r.code, r.stderr).toBe(0);
    const tokens = JSON.parse(readFileSync(path.join(dir, "tokens.json"), "utf8"));
    const metrics = JSON.parse(readFileSync(path.join(dir, "metrics.json"), "utf8"));
    const html = readFileSync(out, "utf8");
    const [payload] = payloadsOf(html);
    expect(payload.tokens.source.text[0]).toEqual(tokens.source);
    expect(payload.tokens.source.synthetic).toBeUndefined();
    expect(payload.sites[0].metrics?.entropy).toEqual(
      metrics.sites[0].heads.map((h: { entropy: number }) => h.entropy),
    );
    expect(html).toContain("metrics from metrics.json");
  });

  it("fails with one clear line on a bad directory or a missing -o", () => {
    const bad = cli("report", path.join(tmp, "nope"), "-o", path.join(tmp, "x.html"));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^attnlens report: error: .*has no manifest\.json; make it with `attnlens extract/);
    const usage = cli("report", extraction);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/-o REPORT\.html is required/);
  });
});

describe("exportReport", () => {
  it("writes one section per result", async () => {
    const out = path.join(tmp, "two.html");
    const file = await attnlens.exportReport(
      [
        syntheticResult({ text: ["a", "b", "c"] }),
        { result: syntheticResult({ decoder: true }), title: "encoder–decoder" },
      ],
      out,
      { title: "two results" },
    );
    expect(file).toEqual({ path: out, bytes: expect.any(Number), sections: 2 });
    const html = readFileSync(out, "utf8");
    expect(payloadsOf(html)).toHaveLength(2);
    expect(html).toContain("<h2>encoder–decoder</h2>");
  });

  it("refuses what is not a result", async () => {
    await expect(attnlens.exportReport([{} as never], path.join(tmp, "bad.html"))).rejects.toThrow(
      /not an AttentionResult/,
    );
  });
});

describe("the report page in Chromium, from file://, offline", () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const requests: string[] = [];
  const dialogs: string[] = [];

  beforeAll(async () => {
    const out = path.join(tmp, "browser.html");
    await attnlens.exportReport(
      [
        { result: syntheticResult({ text: HOSTILE_TOKENS, decoder: true }), title: "hostile" },
        syntheticResult({ tokens: 40, heads: 4 }),
      ],
      out,
    );
    browser = await launchChromium();
    // Every request that is not the file itself (or inline data) is refused and recorded.
    await refuseNetwork(browser, (url) => requests.push(url));
    page = await browser.newPage();
    errors = watchErrors(page);
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(pathToFileURL(out).href);
    await page.waitForFunction(() => (window as unknown as { attnlensReport?: unknown }).attnlensReport !== undefined);
    await page.evaluate(
      () => (window as unknown as { attnlensReport: { ready: Promise<number> } }).attnlensReport.ready,
    );
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("draws every section with no network request and no console error", async () => {
    const ready = await page.locator('[data-attnlens-ready="true"]').count();
    expect(ready).toBe(2);
    expect(await page.locator(".attnlens-view svg").count()).toBeGreaterThan(0);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("keeps hostile tokens as text", async () => {
    expect(dialogs).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    const text = await page.locator("#section-0").evaluate((el) => el.textContent ?? "");
    expect(text).toContain("<img src=x onerror=alert(1)>");
  });
});
