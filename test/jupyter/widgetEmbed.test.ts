/**
 * The widget protocol: the same views as a Jupyter widget (`AttentionModel` / `AttentionView` over
 * `widgets.render`), saved in the standard widget-state format and drawn in a static page by the
 * standard `@jupyter-widgets/html-manager` embedding, from file:// with no network.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, launchChromium, refuseNetwork, watchErrors } from "./browser";
import { HOSTILE_TOKENS, syntheticResult } from "./results";
import { ensureBuilt, removeTempDirs, tempDir } from "./setup";

type Attnlens = typeof import("attnlens");
const load = createRequire(__filename);
const STATE_MIME = "application/vnd.jupyter.widget-state+json";
const VIEW_MIME = "application/vnd.jupyter.widget-view+json";

const reEscape = (s: string) => s.replace(/[.+]/g, "\\$&");

interface ModelState {
  model_name: string;
  model_module: string;
  model_module_version: string;
  state: Record<string, unknown>;
}

describe("attnlens views as Jupyter widgets, embedded with @jupyter-widgets/html-manager", () => {
  let attnlens: Attnlens;
  let html: string;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const requests: string[] = [];

  beforeAll(async () => {
    ensureBuilt("kernel-lib", "widgets", "labextension");
    attnlens = load("attnlens") as Attnlens;
    const out = path.join(tempDir("widget-embed"), "shared.html");
    await attnlens.exportReport(
      [
        { result: syntheticResult({ text: HOSTILE_TOKENS, decoder: true }), title: "hostile tokens" },
        { result: syntheticResult({ tokens: 12, heads: 3 }), title: "second" },
      ],
      out,
      { format: "widget-state", view: "lines" },
    );
    html = readFileSync(out, "utf8");
    browser = await launchChromium();
    await refuseNetwork(browser, (url) => requests.push(url));
    page = await browser.newPage();
    errors = watchErrors(page);
    await page.goto(pathToFileURL(out).href);
    await page.waitForFunction(
      () => (window as unknown as { attnlensEmbedDone?: Promise<void> }).attnlensEmbedDone !== undefined,
    );
    await page.evaluate(() => (window as unknown as { attnlensEmbedDone: Promise<void> }).attnlensEmbedDone);
    await page.locator('.attnlens[data-ready="true"]').nth(1).waitFor({ timeout: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    removeTempDirs();
  });

  it("stores standard widget state (v2) and one view per result", () => {
    const stateJson = new RegExp(`<script type="${reEscape(STATE_MIME)}">([^<]*)</script>`).exec(html)?.[1];
    const state = JSON.parse(stateJson ?? "null") as { version_major: number; state: Record<string, ModelState> };
    expect(state.version_major).toBe(2);
    const models = Object.entries(state.state).filter(([, m]) => m.model_name === "AttentionModel");
    expect(models).toHaveLength(2);
    for (const [, m] of models) {
      expect(m.model_module).toBe("@attnlens/labextension");
      expect(m.state._view_name).toBe("AttentionView");
      expect((m.state.payload as { v: number }).v).toBe(1);
      expect(m.state.options).toEqual({ view: "lines" });
    }
    const views = [...html.matchAll(new RegExp(`<script type="${reEscape(VIEW_MIME)}">([^<]*)</script>`, "g"))].map(
      (v) => JSON.parse(v[1]).model_id,
    );
    expect(views).toEqual(models.map(([id]) => id));
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/i);
  });

  it("html-manager draws every view with the widget's options, offline and without errors", async () => {
    const roots = page.locator(".widget-subarea .attnlens-widget .attnlens");
    expect(await roots.count()).toBe(2);
    // Opened on the "lines" tab, as the widget state says.
    for (let i = 0; i < 2; i++) {
      expect(await roots.nth(i).locator('button[name="view-lines"]').getAttribute("aria-pressed")).toBe("true");
    }
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("the embedded views are interactive", async () => {
    const root = page.locator(".widget-subarea .attnlens").nth(1);
    const updates = async () => Number(await root.getAttribute("data-updates"));
    const before = await updates();
    await root.locator('button[name="view-heatmap"]').click();
    await expect.poll(updates).toBeGreaterThan(before);
    const afterTab = await updates();
    await root.locator('select[name="head"]').selectOption("2");
    await expect.poll(updates).toBeGreaterThan(afterTab);
    expect(errors).toEqual([]);
  });

  it("hostile tokens stay text", async () => {
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    const text = await page
      .locator(".widget-subarea")
      .first()
      .evaluate((el) => el.textContent ?? "");
    expect(text).toContain("<img src=x onerror=alert(1)>");
  });
});
