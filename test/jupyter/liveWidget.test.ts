/**
 * The front-end half of the live widget, in Chromium: the labextension's AttentionView on a model
 * bound to a fake comm (what the attnlens kernel's jupyter.widget comm is to @jupyter-widgets/base).
 * A click on a head in the grid, or on a token in the heatmap, sends the selection as a protocol-2
 * `update`; the text box sends a
 * `custom` run message; a kernel `update` with a new payload redraws in place (same root; the same
 * Vega views take the new data when the shape allows; another layer count still draws); the kernel's error is
 * shown as text; a kernel that goes away leaves the last drawing with a notice.
 */

import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, launchChromium, watchErrors } from "./browser";
import { syntheticResult } from "./results";
import { ensureBuilt, ROOT, removeTempDirs, tempDir } from "./setup";

type Attnlens = typeof import("attnlens");
const load = createRequire(__filename);

interface Sent {
  data: { method: string; state?: Record<string, unknown>; content?: unknown };
}

describe("live widget view (labextension AttentionView on a comm)", () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let second: unknown;
  let sameShape: unknown;
  let fewerLayers: unknown;
  const words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa"];

  beforeAll(async () => {
    ensureBuilt("kernel-lib", "widgets", "labextension");
    const attnlens = load("attnlens") as Attnlens;
    const first = attnlens.encodePayload(syntheticResult({ layers: 3, heads: 4, tokens: 10 }));
    second = attnlens.encodePayload(syntheticResult({ layers: 3, heads: 4, tokens: 6 }));
    // Same shape as the first, other maps (each row reversed, rows in reverse order: still softmax rows) and words.
    const mirrored = syntheticResult({ layers: 3, heads: 4, text: words });
    for (const site of mirrored.sites) (site.data as Float32Array).reverse();
    sameShape = attnlens.encodePayload(mirrored);
    fewerLayers = attnlens.encodePayload(syntheticResult({ layers: 2, heads: 4, tokens: 6 }));
    const file = path.join(tempDir("live-widget"), "live.html");
    const bundle = pathToFileURL(path.join(ROOT, "labextension", "lib", "attnlens-embed.js")).href;
    writeFileSync(
      file,
      `<!doctype html><html><body><div id="host"></div><script src="${bundle}"></script></body></html>`,
    );
    browser = await launchChromium();
    page = await browser.newPage();
    errors = watchErrors(page);
    await page.goto(pathToFileURL(file).href);
    await page.evaluate(async (payload) => {
      // biome-ignore lint/suspicious/noExplicitAny: the embed bundle's page globals are untyped here
      const w = window as unknown as Record<string, any>;
      const embed = w.attnlensEmbed;
      const manager = new embed.HTMLManager({ loader: embed.loadModule });
      const sent: unknown[] = [];
      const comm = {
        comm_id: "c1",
        target_name: "jupyter.widget",
        // As the kernel does: "idle" for each message, which lets the model send its next update.
        send(data: unknown, callbacks?: { iopub?: { status?: (m: unknown) => void } }) {
          sent.push({ data });
          setTimeout(() => callbacks?.iopub?.status?.({ content: { execution_state: "idle" } }), 0);
          return "m";
        },
        close() {},
        on_msg(cb: unknown) {
          w.kernelSays = cb;
        },
        on_close() {},
      };
      const model = await manager.new_model(
        {
          model_name: "AttentionModel",
          model_module: embed.MODULE_NAME,
          model_module_version: embed.MODULE_VERSION,
          model_id: "c1",
          comm,
        },
        {
          _model_name: "AttentionModel",
          _model_module: embed.MODULE_NAME,
          _model_module_version: embed.MODULE_VERSION,
          _view_name: "AttentionView",
          _view_module: embed.MODULE_NAME,
          _view_module_version: embed.MODULE_VERSION,
          payload,
          options: {},
          selection: null,
          text: "the first text",
          can_run: true,
          busy: false,
          error: null,
        },
      );
      const view = await manager.create_view(model);
      await manager.display_view(view, document.getElementById("host"));
      w.sent = sent;
      w.model = model;
    }, first);
    await page.locator('.attnlens[data-ready="true"]').waitFor({ timeout: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    removeTempDirs();
  });

  const sent = () => page.evaluate(() => (window as unknown as { sent: Sent[] }).sent);
  const kernelSays = (data: unknown) =>
    page.evaluate(
      (d) => (window as unknown as { kernelSays(m: unknown): void }).kernelSays({ content: { data: d }, buffers: [] }),
      data,
    );

  it("a click on a head in the grid sends the selection to the kernel as an update", async () => {
    await page
      .locator(".attnlens-grid g.grid_cells_marks path")
      .nth(2 * 4 + 3)
      .click();
    await expect.poll(async () => (await sent()).filter((m) => m.data.method === "update").length).toBeGreaterThan(0);
    const updates = (await sent()).filter((m) => m.data.method === "update");
    expect(updates.at(-1)?.data).toEqual({
      method: "update",
      state: { selection: { site: "encoder.self.2", layer: 2, head: 3, token: null, sample: 0 } },
      buffer_paths: [],
    });
  });

  it("a click on a token label in the heatmap sends its position as the selection's token", async () => {
    const heatmap = ".attnlens-heatmap g.heat_xlabels_marks text";
    // Let the hover previews the pointer left on its way from the grid settle first.
    await page.mouse.move(2, 2);
    await expect
      .poll(() => page.locator(".attnlens-heatmap .attnlens-caption").first().textContent())
      .toContain("layer 2 · head 3");
    await page.waitForTimeout(300);
    await page.locator(heatmap).nth(5).click();
    const last = async () => (await sent()).filter((m) => m.data.method === "update").at(-1)?.data.state;
    await expect.poll(last).toEqual({ selection: { site: "encoder.self.2", layer: 2, head: 3, token: 5, sample: 0 } });
    await page.locator(heatmap).nth(5).click(); // unlocks: back to no token
    await expect
      .poll(last)
      .toEqual({ selection: { site: "encoder.self.2", layer: 2, head: 3, token: null, sample: 0 } });
  });

  it("the text box sends a custom run message", async () => {
    const input = page.locator('form.attnlens-widget-text input[name="text"]');
    expect(await input.inputValue()).toBe("the first text");
    await input.fill("a new sentence");
    await input.press("Enter");
    await expect
      .poll(async () => (await sent()).filter((m) => m.data.method === "custom").map((m) => m.data.content))
      .toEqual([{ event: "run", text: "a new sentence" }]);
  });

  /** The drawn elements an in-place update keeps, and what it must change. */
  const snapshot = () =>
    page.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      const q = (s: string) => document.querySelector(s);
      const hrefs = (s: string) => [...document.querySelectorAll(s)].map((e) => e.getAttribute("href"));
      w.kept = { root: q(".attnlens"), grid: q(".attnlens-grid svg"), heat: q(".attnlens-heatmap svg") };
      return {
        thumbs: hrefs(".attnlens-grid g.grid_thumbs_marks image"),
        raster: hrefs(".attnlens-heatmap g.heat_cells_marks image"),
        labels: [...document.querySelectorAll(".attnlens-heatmap g.heat_xlabels_marks text")].map((e) => e.textContent),
      };
    });
  const stillThere = () =>
    page.evaluate(() => {
      const kept = (window as unknown as { kept: Record<string, Element | null> }).kept;
      return {
        root: kept.root === document.querySelector(".attnlens"),
        grid: kept.grid === document.querySelector(".attnlens-grid svg"),
        heat: kept.heat === document.querySelector(".attnlens-heatmap svg"),
      };
    });

  it("a kernel update of the same shape puts the new data into the same views, keeping the user's head", async () => {
    const before = await snapshot();
    expect(before.thumbs).toHaveLength(3 * 4);
    await kernelSays({ method: "update", state: { payload: sameShape }, buffer_paths: [] });
    await page.locator('.attnlens[data-payloads="1"]').waitFor({ timeout: 30_000 });
    const after = await snapshot();
    // Not re-mounted, not re-embedded: the same root and the same Vega SVGs.
    expect(await page.locator(".attnlens").count()).toBe(1);
    expect(await stillThere()).toEqual({ root: true, grid: true, heat: true });
    // New data shown: the new words on the axis, another map in the heatmap and every thumbnail
    // (the grid's cache key, type and sample, is unchanged: the update must still redraw it).
    expect(before.labels).not.toEqual(words);
    expect(after.labels).toEqual(words);
    expect(after.raster).toHaveLength(1);
    expect(after.raster[0]).not.toBe(before.raster[0]);
    expect(after.thumbs).toHaveLength(3 * 4);
    for (let i = 0; i < after.thumbs.length; i++) expect(after.thumbs[i]).not.toBe(before.thumbs[i]);
    expect(await page.inputValue("select[name=layer]")).toBe("2");
    expect(await page.inputValue("select[name=head]")).toBe("3");
  });

  it("a kernel update with a new payload redraws in place, keeping the user's head", async () => {
    const columns = () =>
      page
        .locator(".attnlens-heatmap")
        .first()
        .evaluate((el) => el.textContent ?? "");
    await snapshot();
    await kernelSays({ method: "update", state: { payload: second, text: "a new sentence" }, buffer_paths: [] });
    await page.locator('.attnlens[data-payloads="2"]').waitFor({ timeout: 30_000 });
    expect(await page.locator(".attnlens").count()).toBe(1);
    expect((await stillThere()).root).toBe(true);
    expect(await page.locator(".attnlens-heatmap g.heat_xlabels_marks text").count()).toBe(6);
    expect(await page.inputValue("select[name=layer]")).toBe("2");
    expect(await page.inputValue("select[name=head]")).toBe("3");
    expect(await columns()).toContain("layer 2 · head 3");
  });

  it("a kernel update with another layer count redraws the grid and selectors for it", async () => {
    await snapshot();
    await kernelSays({ method: "update", state: { payload: fewerLayers }, buffer_paths: [] });
    await page.locator('.attnlens[data-payloads="3"]').waitFor({ timeout: 30_000 });
    expect((await stillThere()).root).toBe(true);
    expect(await page.locator(".attnlens-grid g.grid_thumbs_marks image").count()).toBe(2 * 4);
    expect(await page.locator("select[name=layer] option").allTextContents()).toEqual(["0", "1"]);
    // Layer 2 is gone: the first layer, the same head.
    expect(await page.inputValue("select[name=layer]")).toBe("0");
    expect(await page.inputValue("select[name=head]")).toBe("3");
    await page
      .locator(".attnlens-grid g.grid_cells_marks path")
      .nth(1 * 4 + 2)
      .click();
    const last = async () => (await sent()).filter((m) => m.data.method === "update").at(-1)?.data.state;
    await expect
      .poll(last)
      .toEqual({ selection: { site: "encoder.self.1", layer: 1, head: 2, token: null, sample: 0 } });
  });

  it("shows the kernel's error as text", async () => {
    await kernelSays({ method: "update", state: { error: 'refused unknown method "<b>x</b>"' }, buffer_paths: [] });
    const status = page.locator(".attnlens-widget-status");
    await expect.poll(() => status.textContent()).toBe('attnlens: refused unknown method "<b>x</b>"');
    expect(await status.locator("b").count()).toBe(0);
  });

  it("keeps the last drawing with a notice when the kernel is gone", async () => {
    await page.evaluate(() => {
      (window as unknown as { model: { comm_live: boolean } }).model.comm_live = false;
    });
    const status = page.locator(".attnlens-widget-status");
    await expect.poll(() => status.textContent()).toContain("the kernel is gone; this is the last drawing");
    expect(await page.locator('.attnlens[data-ready="true"]').count()).toBe(1);
    expect(await page.locator('form.attnlens-widget-text input[name="text"]').isDisabled()).toBe(true);
    expect(errors).toEqual([]);
  });
});
