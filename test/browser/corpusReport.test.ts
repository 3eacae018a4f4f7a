/**
 * The corpus report in headless Chromium: `attnlens report --corpus DIR` on a corpus directory made
 * by running the demo model on 45 sentences (kernel-lib/test/corpusFixture.ts), opened from file://
 * with every network request refused. Switching the metric redraws the charts for it; clicking a
 * head lists the inputs a naive ranking says are its most and least typical; opening the hostile
 * input shows its text as text (no element made from it, no script run).
 */
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../../kernel-lib/src/load/loadModel";
import { corpusPayload } from "../../kernel-lib/src/output/display/corpus";
import { encodePayload } from "../../kernel-lib/src/output/payload";
import {
  type CorpusFixture,
  HOSTILE_TEXT,
  makeCorpusDir,
  naiveTypicalOrder,
} from "../../kernel-lib/test/corpusFixture";
import { attnlens as cli } from "../cliRunner";
import { type Browser, launchChromium, refuseNetwork, watchErrors } from "../jupyter/browser";
import { ensureBuilt, removeTempDirs, tempDir } from "../jupyter/setup";
import { widgetPage } from "./harness";

const tmp = tempDir("corpus-report");
const TYPICALITY = ["entropy", "distance", "confidence", "sink"];
let fx: CorpusFixture;
let browser: Browser;
let page: Page;
let errors: string[];
const events: string[] = [];

const settled = (p: Page, n: number) =>
  p.waitForFunction((k) => Number(document.querySelector(".attnlens-corpus")?.getAttribute("data-updates")) > k, n);
const updates = async (p: Page) => Number(await p.getAttribute(".attnlens-corpus", "data-updates"));

beforeAll(async () => {
  ensureBuilt("kernel-lib", "widgets");
  fx = await makeCorpusDir(path.join(tmp, "run"));
  const out = path.join(tmp, "corpus.html");
  const r = cli("report", "--corpus", fx.dir, "-o", out);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^corpus report written to .*corpus\.html \(\d+ KiB\)/);
  browser = await launchChromium();
  await refuseNetwork(browser, (url) => events.push(`request: ${url}`));
  page = await browser.newPage();
  errors = watchErrors(page);
  page.on("dialog", (d) => {
    events.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(pathToFileURL(out).href);
  await page.waitForFunction(() => (window as unknown as { attnlensReport?: unknown }).attnlensReport !== undefined);
  await page.evaluate(() => (window as unknown as { attnlensReport: { ready: Promise<number> } }).attnlensReport.ready);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  removeTempDirs();
});

describe("the corpus report in Chromium", () => {
  it("draws the grid, the cluster strip, the quantile glyphs and the pattern bars", async () => {
    expect(await page.getAttribute(".attnlens-corpus", "data-ready")).toBe("true");
    expect(await page.locator("g.corpus_grid_marks path").count()).toBe(16);
    expect(await page.locator("g.corpus_clusters_marks path").count()).toBe(16);
    expect(await page.locator("g.corpus_box_marks path").count()).toBe(4);
    expect(await page.locator("g.corpus_patterns_marks path").count()).toBeGreaterThanOrEqual(4);
    expect(await page.textContent(".attnlens-corpus .attnlens-header")).toContain("45 inputs · 0 skipped");
  });

  it("switching the metric redraws the charts for it", async () => {
    const before = await updates(page);
    await page.selectOption("select[name=metric]", "distance");
    await settled(page, before);
    expect(await page.getAttribute(".attnlens-corpus", "data-metric")).toBe("distance");
    const titles = await page.locator(".attnlens-corpus svg .role-title-text").allTextContents();
    expect(titles.join(" | ")).toContain("mean distance (tokens) per head: mean over inputs");
    expect(titles.join(" | ")).toContain("encoder.self.0: mean distance (tokens) over the corpus");
    expect(await page.textContent(".attnlens-corpus-head .attnlens-caption")).toBe(
      "encoder.self.0 head 0: mean distance (tokens)",
    );
  });

  it("clicking a head lists its most and least typical inputs (as a naive ranking orders them)", async () => {
    // The head whose least typical inputs include the hostile one: that one is opened next.
    const heads = [0, 1, 2, 3].flatMap((layer) => [0, 1, 2, 3].map((head) => ({ layer, head })));
    const target = heads.find(({ layer, head }) =>
      naiveTypicalOrder(fx, `encoder.self.${layer}`, head, TYPICALITY).atypical.slice(0, 3).includes(44),
    );
    expect(target).toBeDefined();
    const { layer, head } = target as { layer: number; head: number };
    const before = await updates(page);
    await page
      .locator("g.corpus_grid_marks path")
      .nth(layer * 4 + head)
      // The spread square on top of the cell takes the click: it carries the same head.
      .click({ force: true });
    await settled(page, before);
    expect(await page.getAttribute(".attnlens-corpus-head", "data-head")).toBe(`encoder.self.${layer}:${head}`);
    const order = naiveTypicalOrder(fx, `encoder.self.${layer}`, head, TYPICALITY);
    const ids = (side: string) =>
      page
        .locator(`.attnlens-corpus-${side} li`)
        .evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-input"))));
    expect(await ids("typical")).toEqual(order.typical.slice(0, 3));
    expect(await ids("atypical")).toEqual(order.atypical.slice(0, 3));
  });

  it("opening the hostile input shows its text and per-head values, and runs nothing", async () => {
    const item = page.locator('.attnlens-corpus-atypical li[data-input="44"] button');
    expect(await item.textContent()).toBe(HOSTILE_TEXT);
    await item.click();
    await page.waitForSelector('.attnlens-corpus-open[data-input="44"] g.corpus_grid_marks path');
    expect(await page.textContent(".attnlens-corpus-open .attnlens-corpus-text")).toBe(HOSTILE_TEXT);
    expect(await page.locator(".attnlens-corpus-open g.corpus_grid_marks path").count()).toBe(16);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img[src="x"], .attnlens-corpus script').count()).toBe(0);
    expect(errors).toEqual([]);
    expect(events).toEqual([]);
  });
});

describe("the corpus view as a live widget draws it (widgets bundle, no kernel)", () => {
  it("opening an input announces attnlens:run {input, text}; the kernel's answer draws its attention views", async () => {
    const payload = JSON.parse(JSON.stringify(await corpusPayload(fx.dir)));
    const model = await loadModel("tiny-agreement-bert", { providers: ["cpu"] });
    const text = fx.rows[3].text;
    const opened = { input: 3, text, payload: JSON.parse(JSON.stringify(encodePayload(await model.run(text)))) };
    const { page: live, problems } = await widgetPage(browser as never);
    await live.evaluate((p) => {
      const w = window as unknown as {
        attnlensWidgets: { mount(el: HTMLElement, p: unknown, o: unknown): { update(p: unknown): Promise<void> } };
        view: { update(p: unknown): Promise<void> };
        runs: unknown[];
      };
      const host = document.getElementById("host") as HTMLElement;
      w.runs = [];
      host.addEventListener("attnlens:run", (e) => w.runs.push((e as CustomEvent).detail));
      w.view = w.attnlensWidgets.mount(host, p, { theme: "light" });
    }, payload);
    await live.waitForSelector('.attnlens-corpus[data-ready="true"]');
    // Input 3 is listed by some head: select that head, then open the input.
    const listed = (row: number, h: number) => {
      const l = payload.examples.heads[payload.sites[row].id][h];
      return [...l.typical, ...l.atypical].some(([i]: [number]) => payload.examples.inputs[i].input === 3);
    };
    const heads = [0, 1, 2, 3].flatMap((row) => [0, 1, 2, 3].map((h) => ({ row, head: h })));
    const { row, head } = heads.find((x) => listed(x.row, x.head)) as { row: number; head: number };
    await live
      .locator("g.corpus_grid_marks path")
      .nth(row * 4 + head)
      .click({ force: true });
    await live.waitForSelector(`.attnlens-corpus-head[data-head="${payload.sites[row].id}:${head}"]`);
    await live.locator('.attnlens-corpus-lists li[data-input="3"] button').first().click();
    expect(await live.evaluate(() => (window as unknown as { runs: unknown[] }).runs)).toEqual([{ input: 3, text }]);
    await live.evaluate((p) => (window as unknown as { view: { update(p: unknown): Promise<void> } }).view.update(p), {
      ...payload,
      opened,
    });
    await live.waitForSelector('.attnlens-corpus-live .attnlens[data-ready="true"]');
    expect(await live.locator(".attnlens-corpus-live g.grid_cells_marks path").count()).toBe(16);
    expect(await live.textContent(".attnlens-corpus-open .attnlens-corpus-text")).toBe(text);
    expect(problems.console).toEqual([]);
    expect(problems.dialogs).toEqual([]);
    await live.close();
  }, 60_000);
});
