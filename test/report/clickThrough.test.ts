/**
 * Every control of a report, hovered and clicked in headless Chromium: the demo model's report
 * (`attnlens demo`, tiny-agreement-bert) is opened from file:// and every button, select (each
 * option), checkbox, link, head thumbnail, metric cell, token label and heatmap cell is worked
 * through, in each view (heatmap, rollout, lines). The page must stay open and on its URL, log no error, and still draw its views.
 */
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attnlens as cli } from "../cliRunner";
import { type Browser, launchChromium, refuseNetwork, watchErrors } from "../jupyter/browser";
import { ensureBuilt, removeTempDirs, tempDir } from "../jupyter/setup";

const tmp = tempDir("click");
/** Marks per kind worked through, so the pass stays bounded on large reports. */
const MARKS_PER_KIND = 12;

const CONTROLS = "button, select, input, a, summary";
const MARKS = [
  ".attnlens-grid g.grid_cells_marks path",
  ".attnlens-metrics g.metric_cells_marks path",
  "g.heat_xlabels_marks text",
  "g.heat_ylabels_marks text",
];

let browser: Browser;
let page: Page;
let errors: string[];
let url: string;
const events: string[] = [];
const done: string[] = [];

/** Waits two animation frames: long enough for a view's update to have started and drawn. */
const settle = (p: Page) =>
  p.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

async function describeControl(el: Locator): Promise<string> {
  return el.evaluate((e) => {
    const section = e.closest("[id^=section-]")?.id ?? "page";
    const name = e.getAttribute("name") ?? e.getAttribute("title") ?? e.textContent?.trim().slice(0, 20) ?? "";
    return `${section} ${e.tagName.toLowerCase()}[${(e as HTMLInputElement).type ?? ""}] ${name}`;
  });
}

/** Hovers and works one control: every option of a select, a click for the rest. */
async function work(el: Locator): Promise<void> {
  const tag = await el.evaluate((e) => e.tagName.toLowerCase());
  await el.hover({ timeout: 2000 });
  if (tag === "select") {
    const values = await el.evaluate((e) => Array.from((e as HTMLSelectElement).options, (o) => o.value));
    // Ends on the first option again: a select that disables others (aggregate → head) lets them be worked.
    for (const v of [...values, values[0]]) {
      await el.selectOption(v, { timeout: 2000 });
      await settle(page);
    }
    return;
  }
  const type = await el.evaluate((e) => (e as HTMLInputElement).type ?? "");
  if (tag === "input" && (type === "range" || type === "number" || type === "text" || type === "search")) {
    await el.fill(type === "range" || type === "number" ? "1" : "a", { timeout: 2000 });
  } else await el.click({ timeout: 2000 });
  await settle(page);
}

beforeAll(async () => {
  ensureBuilt("kernel-lib", "widgets");
  const out = path.join(tmp, "demo.html");
  const r = cli("demo", "--out", out, "--providers", "cpu");
  expect(r.code, r.stderr).toBe(0);
  url = pathToFileURL(out).href;
  browser = await launchChromium();
  await refuseNetwork(browser, (url) => events.push(`request: ${url}`));
  page = await browser.newPage();
  // From here on, any other page (a popup, a link opened in a new window) is an event.
  browser.context.on("page", (p) => events.push(`new page: ${p.url()}`));
  errors = watchErrors(page);
  page.on("close", () => events.push("page closed"));
  page.on("crash", () => events.push("page crashed"));
  page.on("dialog", (d) => {
    events.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on("framenavigated", (f) => {
    if (f === page.mainFrame() && f.url() !== url) events.push(`navigated to ${f.url()}`);
  });
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { attnlensReport?: unknown }).attnlensReport !== undefined);
  await page.evaluate(() => (window as unknown as { attnlensReport: { ready: Promise<number> } }).attnlensReport.ready);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  removeTempDirs();
});

describe("the demo report, every control worked in Chromium", () => {
  it("hovers and clicks every control (each select option), twice over, and the page stays whole", async () => {
    // Two passes: a control shown only after another was clicked (a tab) is met on the second.
    for (let pass = 0; pass < 2; pass++) {
      const n = await page.locator(CONTROLS).count();
      for (let i = 0; i < n; i++) {
        const el = page.locator(CONTROLS).nth(i);
        if (!(await el.isVisible()) || !(await el.isEnabled())) continue;
        const what = await describeControl(el);
        await work(el);
        done.push(what);
        expect(page.isClosed(), `after ${what}`).toBe(false);
        expect(events, `after ${what}`).toEqual([]);
      }
    }
    for (const name of ["layer", "head", "aggregate", "metric"]) expect(done.join("\n")).toContain(` ${name}`);
    expect(done.filter((d) => d.includes(" button[")).length).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  }, 60_000);

  it("hovers and clicks head thumbnails, metric cells, token labels and heatmap cells", async () => {
    for (const view of ["heatmap", "rollout", "lines"]) {
      const button = page.locator(`button[name=view-${view}]`).first();
      if (await button.isVisible()) await button.click();
      await settle(page);
      for (const selector of MARKS) {
        const marks = page.locator(selector);
        const n = Math.min(await marks.count(), MARKS_PER_KIND);
        for (let i = 0; i < n; i++) {
          const mark = marks.nth(i);
          if (!(await mark.isVisible())) continue;
          await mark.hover({ timeout: 2000, force: true });
          await mark.click({ timeout: 2000, force: true });
          await settle(page);
          done.push(`${view}: ${selector} #${i}`);
        }
      }
      // Every drawn chart of the view (lines, rollout, heatmaps): a 3 × 3 sweep of hovers and clicks.
      for (const svg of await page.locator(".attnlens-view svg").all()) {
        const box = await svg.boundingBox();
        if (!box || !(await svg.isVisible())) continue;
        for (const fx of [0.2, 0.5, 0.8])
          for (const fy of [0.2, 0.5, 0.8]) await page.mouse.click(box.x + fx * box.width, box.y + fy * box.height);
        await settle(page);
        done.push(`${view}: chart sweep`);
      }
      // The heatmap raster: a 3 × 3 sweep of hovers and clicks, a drag (zoom) and a double click (reset).
      const image = page.locator("g.heat_cells_marks image").first();
      if (await image.isVisible()) {
        const box = await image.boundingBox();
        expect(box).not.toBeNull();
        const { x, y, width, height } = box as NonNullable<typeof box>;
        for (const fx of [0.1, 0.5, 0.9])
          for (const fy of [0.1, 0.5, 0.9]) {
            await page.mouse.move(x + fx * width, y + fy * height);
            await page.mouse.click(x + fx * width, y + fy * height);
          }
        await page.mouse.move(x + 0.2 * width, y + 0.2 * height);
        await page.mouse.down();
        await page.mouse.move(x + 0.7 * width, y + 0.7 * height, { steps: 5 });
        await page.mouse.up();
        await settle(page);
        const reset = page.locator("button[name=reset-zoom]").first();
        if (await reset.isVisible()) {
          await reset.click();
          done.push(`${view}: reset-zoom`);
        }
        await page.mouse.dblclick(x + 0.5 * width, y + 0.5 * height);
        await settle(page);
        done.push(`${view}: heatmap cells`);
      }
      expect(page.isClosed(), `after the ${view} marks`).toBe(false);
      expect(events).toEqual([]);
    }
    expect(done.some((d) => d.includes("grid_cells_marks"))).toBe(true);
    expect(done.some((d) => d.includes("heatmap cells"))).toBe(true);
    expect(done.some((d) => d.includes("reset-zoom"))).toBe(true);
    expect(errors).toEqual([]);
  }, 60_000);

  it("still draws every view afterwards", async () => {
    expect(page.isClosed()).toBe(false);
    expect(page.url()).toBe(url);
    const sections = await page.locator("[data-attnlens-ready]").count();
    expect(sections).toBeGreaterThan(0);
    expect(await page.locator('[data-attnlens-ready="true"]').count()).toBe(sections);
    expect(await page.locator(".attnlens-view svg").count()).toBeGreaterThan(0);
    const raster = await page.locator("g.heat_cells_marks image").first().getAttribute("href");
    expect(raster).toMatch(/^data:image\/png;base64,/);
    expect(errors).toEqual([]);
    expect(events).toEqual([]);
  });
});
