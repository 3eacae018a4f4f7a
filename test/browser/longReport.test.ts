/**
 * An 8,192-token map is explorable: here a 2,048-token input's report (the built attnlens, the
 * page from file:// in Chromium) shows the pooled overview with token positions on its axes; a
 * dragged box zooms to a window drawn from the report's exact tiles (its cells, read back through
 * the tooltip, equal the map's weights to float16 precision, and its tokens become the axis
 * labels), the wheel zooms around the pointer, and reset returns to the overview.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleResult } from "../../kernel-lib/src/output/payload/sample";
import { type Browser, launchChromium, refuseNetwork, watchErrors } from "../jupyter/browser";
import { ensureBuilt, removeTempDirs, tempDir } from "../jupyter/setup";

type Attnlens = typeof import("attnlens");
const load = createRequire(__filename);
const T = 2048;
const PANEL = ".attnlens-main > .attnlens-heatmap";

describe("a 2,048-token report: overview, zoom to exact tiles, reset", () => {
  const result = sampleResult({ layers: 1, heads: 1, tokens: T, patterns: ["random"], seed: 3 });
  const map = result.sites[0].data;
  const tokens = result.tokens!.source![0].map((t) => t.text);
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const requests: string[] = [];
  let notes: string[];
  let attnlens: Attnlens;
  let out: string;

  beforeAll(async () => {
    ensureBuilt("kernel-lib", "widgets");
    attnlens = load("attnlens") as Attnlens;
    out = path.join(tempDir("long-report"), "long.html");
    const file = await attnlens.exportReport(result, out, { quantization: "float16", metrics: false, rollout: false });
    expect(file.bytes).toBeLessThan(20e6 + 3e6); // the tile budget plus the widgets bundle
    browser = await launchChromium();
    await refuseNetwork(browser, (url) => requests.push(url));
    page = await browser.newPage();
    await page.setViewportSize({ width: 1500, height: 1100 });
    errors = watchErrors(page);
    await page.goto(pathToFileURL(out).href);
    await page.waitForFunction(() => (window as unknown as { attnlensReport?: unknown }).attnlensReport !== undefined);
    await page.evaluate(
      () => (window as unknown as { attnlensReport: { ready: Promise<number> } }).attnlensReport.ready,
    );
    notes = await page.$$eval(".attnlens-notes", (els) => els.map((e) => e.textContent ?? ""));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    removeTempDirs();
  });

  const box = () =>
    page.evaluate((sel) => {
      const r = document.querySelector(`${sel} g.heat_cells_marks image`)!.getBoundingClientRect();
      return { x: r.left, y: r.top, width: r.width, height: r.height };
    }, PANEL);
  const zoomState = () =>
    page.evaluate((sel) => {
      const d = (document.querySelector(sel) as HTMLElement).dataset;
      return { window: d.zoomWindow, from: d.zoomFrom, bin: d.zoomBin };
    }, PANEL);

  it("says what the finest zoom level is, and draws the overview with token positions on the axes", async () => {
    expect(notes.join("\n")).toContain("finest zoom level in this page: exact weights (1 token per cell)");
    const sub = await page.textContent(`${PANEL} .attnlens-subcaption`);
    expect(sub).toContain("pooled: 8×8 tokens per cell");
    const axis = await page.$$eval(`${PANEL} .role-axis-title text`, (els) => els.map((e) => e.textContent));
    expect(axis).toContain("source position (keys) · 8 tokens per cell");
    const ticks = await page.$$eval(`${PANEL} .role-axis-label text`, (els) => els.map((e) => Number(e.textContent)));
    expect(Math.max(...ticks)).toBeGreaterThan(1000); // token positions, not the 256 cell indices
    expect(errors).toEqual([]);
  });

  it("zooms a dragged box to the exact weights of the window, with its tokens as labels", async () => {
    const b = await box();
    const at = (cell: number, side: number, from: number) => from + ((cell + 0.5) * side) / 256;
    await page.mouse.move(at(120, b.width, b.x), at(100, b.height, b.y));
    await page.mouse.down();
    await page.mouse.move(at(128, b.width, b.x), at(107, b.height, b.y), { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction((sel) => (document.querySelector(sel) as HTMLElement).dataset.zoomFrom, PANEL);
    const z = await zoomState();
    expect(z.from).toBe("tiles");
    expect(z.bin).toBe("1,1");
    const [r0, r1, c0, c1] = z.window!.split(",").map(Number);
    // The box spans cells 100…107 × 120…128 of 8 tokens: about 64 × 72 tokens around there.
    expect(r0).toBe(800);
    expect(c0).toBe(960);
    expect(r1 - r0).toBeGreaterThanOrEqual(56);
    expect(c1 - c0).toBeGreaterThanOrEqual(64);
    const x = await page.$$eval(`${PANEL} g.heat_xlabels_marks text`, (els) => els.map((e) => e.textContent));
    expect(x).toEqual(tokens.slice(c0, c1));
    expect(await page.textContent(`${PANEL} .attnlens-subcaption`)).toContain(
      `zoomed: targets ${r0}–${r1 - 1}, sources ${c0}–${c1 - 1} · exact weights (precomputed tiles)`,
    );
    // Cells read back through the tooltip equal the map (float16: relative error ≤ 2⁻¹¹).
    const zb = await box();
    for (const [dy, dx] of [
      [0, 0],
      [3, 17],
      [r1 - r0 - 1, c1 - c0 - 1],
      [20, 5],
    ]) {
      await page.mouse.move(zb.x + ((dx + 0.5) * zb.width) / (c1 - c0), zb.y + ((dy + 0.5) * zb.height) / (r1 - r0));
      const tip = await page.textContent(".attnlens-tooltip");
      expect(tip).toContain(`target [${r0 + dy}]: ${tokens[r0 + dy]}`);
      expect(tip).toContain(`source [${c0 + dx}]: ${tokens[c0 + dx]}`);
      const shown = Number(tip!.match(/weight: ([0-9.e-]+)/)![1]);
      const want = map[(r0 + dy) * T + c0 + dx];
      expect(Math.abs(shown - want)).toBeLessThanOrEqual(want * 2 ** -10 + 1e-7);
    }
  });

  it("reads a lazy result (a RowSource) into the same report section", async () => {
    const lazyOut = path.join(tempDir("long-report"), "lazy.html");
    await attnlens.exportReport({ ...result, ...attnlens.rowSourceOf(result) }, lazyOut, {
      quantization: "float16",
      metrics: false,
      rollout: false,
    });
    const payload = (file: string) =>
      readFileSync(file, "utf8").match(
        /<script type="application\/json" id="attnlens-payload-0">([^<]*)<\/script>/,
      )![1];
    expect(payload(lazyOut)).toBe(payload(out));
  });

  it("resets to the overview, and the wheel zooms around the pointer", async () => {
    await page.click(`${PANEL} button[name=reset-zoom]`);
    await page.waitForFunction((sel) => !(document.querySelector(sel) as HTMLElement).dataset.zoomWindow, PANEL);
    expect(await page.textContent(`${PANEL} .attnlens-subcaption`)).toContain("pooled: 8×8 tokens per cell");
    const b = await box();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    await page.mouse.wheel(0, -100);
    await page.waitForFunction((sel) => (document.querySelector(sel) as HTMLElement).dataset.zoomWindow, PANEL);
    const [r0, r1, c0, c1] = (await zoomState()).window!.split(",").map(Number);
    expect([r1 - r0, c1 - c0]).toEqual([T / 2, T / 2]);
    expect(Math.abs((r0 + r1) / 2 - T / 2)).toBeLessThanOrEqual(8);
    expect(Math.abs((c0 + c1) / 2 - T / 2)).toBeLessThanOrEqual(8);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
  });
});
