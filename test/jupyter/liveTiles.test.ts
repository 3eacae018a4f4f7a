/**
 * The front-end half of zooming a live widget of a long input, in Chromium: the labextension's
 * AttentionView on a fake comm. A box dragged on the pooled overview sends `{event: "tile", id,
 * site, batch, head, rows, cols}` as a custom message; the "kernel" here answers it with the
 * window's float32 weights as the message's buffer (a closed-form map, the same in Node and in the
 * page), and the view draws them: the cells read back through the tooltip are the map's. A refused
 * request leaves the overview's cells, with the kernel's reason under the title.
 */
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { AttentionResult } from "attnlens";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, launchChromium, watchErrors } from "./browser";
import { ensureBuilt, ROOT, removeTempDirs, tempDir } from "./setup";

type Attnlens = typeof import("attnlens");
const load = createRequire(__filename);
const T = 1536;
const PANEL = ".attnlens-main > .attnlens-heatmap";

/** A row-stochastic map in closed form: weight ∝ 1 + ((7t + 3s + 11h) mod 17). Also run in the page. */
function closedForm(T: number, h: number, t: number, s: number): number {
  let sum = 0;
  for (let j = 0; j < T; j++) sum += 1 + ((7 * t + 3 * j + 11 * h) % 17);
  return (1 + ((7 * t + 3 * s + 11 * h) % 17)) / sum;
}

function longResult(): AttentionResult {
  const H = 2;
  const data = new Float32Array(H * T * T);
  for (let h = 0; h < H; h++)
    for (let t = 0; t < T; t++) for (let s = 0; s < T; s++) data[(h * T + t) * T + s] = closedForm(T, h, t, s);
  return {
    sites: [
      {
        id: "encoder.self.0",
        stack: "encoder",
        kind: "self",
        layer: 0,
        heads: H,
        causal: false,
        node: "x",
        data,
        dims: [1, H, T, T],
      },
    ],
    provider: "cpu",
    fallbacks: [],
    masks: {},
    outputs: {},
  };
}

interface Sent {
  data: { method: string; content?: Record<string, unknown> };
}

describe("live widget: zooming asks the kernel for exact tiles", () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    ensureBuilt("kernel-lib", "widgets", "labextension");
    const attnlens = load("attnlens") as Attnlens;
    const payload = attnlens.tiledPayload(longResult(), { tiles: false, metrics: false });
    const file = path.join(tempDir("live-tiles"), "live.html");
    const bundle = pathToFileURL(path.join(ROOT, "labextension", "lib", "attnlens-embed.js")).href;
    writeFileSync(
      file,
      `<!doctype html><html><body><div id="host"></div><script src="${bundle}"></script></body></html>`,
    );
    browser = await launchChromium();
    page = await browser.newPage();
    await page.setViewportSize({ width: 1500, height: 1100 });
    errors = watchErrors(page);
    await page.goto(pathToFileURL(file).href);
    await page.evaluate(
      async ([payload, T, form]) => {
        // biome-ignore lint/suspicious/noExplicitAny: the embed bundle's page globals are untyped here
        const w = window as unknown as Record<string, any>;
        const closed = new Function(`return ${form}`)() as (T: number, h: number, t: number, s: number) => number;
        const embed = w.attnlensEmbed;
        const manager = new embed.HTMLManager({ loader: embed.loadModule });
        const sent: unknown[] = [];
        w.refuse = false;
        const comm = {
          comm_id: "c1",
          target_name: "jupyter.widget",
          send(
            data: { method: string; content?: Record<string, unknown> },
            callbacks?: { iopub?: { status?: (m: unknown) => void } },
          ) {
            sent.push({ data });
            setTimeout(() => callbacks?.iopub?.status?.({ content: { execution_state: "idle" } }), 0);
            const c = data.content;
            if (data.method === "custom" && c?.event === "tile") {
              // The kernel's answer: the window's weights as one float32 buffer, or an error.
              const [r0, r1] = c.rows as number[];
              const [c0, c1] = c.cols as number[];
              const out = new Float32Array((r1 - r0) * (c1 - c0));
              for (let t = r0; t < r1; t++)
                for (let s = c0; s < c1; s++) out[(t - r0) * (c1 - c0) + s - c0] = closed(T, c.head as number, t, s);
              const reply = w.refuse
                ? {
                    content: {
                      data: {
                        method: "custom",
                        content: { event: "tile", id: c.id, error: "refused a tile request: <b>no</b>" },
                      },
                    },
                    buffers: [],
                  }
                : { content: { data: { method: "custom", content: { ...c } } }, buffers: [new DataView(out.buffer)] };
              setTimeout(() => w.kernelSays(reply), 5);
            }
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
            options: { selection: { head: 1 } },
            selection: null,
            text: "",
            can_run: false,
            busy: false,
            error: null,
          },
        );
        const view = await manager.create_view(model);
        await manager.display_view(view, document.getElementById("host"));
        w.sent = sent;
      },
      [payload, T, closedForm.toString()] as const,
    );
    await page.locator('.attnlens[data-ready="true"]').waitFor({ timeout: 30_000 });
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
  const drag = async (from: [number, number], to: [number, number], cells: number) => {
    const b = await box();
    const at = (c: number, side: number, o: number) => o + ((c + 0.5) * side) / cells;
    await page.mouse.move(at(from[1], b.width, b.x), at(from[0], b.height, b.y));
    await page.mouse.down();
    await page.mouse.move(at(to[1], b.width, b.x), at(to[0], b.height, b.y), { steps: 5 });
    await page.mouse.up();
  };
  const dataset = () => page.evaluate((sel) => ({ ...(document.querySelector(sel) as HTMLElement).dataset }), PANEL);

  it("sends the zoomed window as a tile request and draws the kernel's exact weights", async () => {
    // The overview: 1,536 tokens in 256 cells of 6.
    expect(await page.textContent(`${PANEL} .attnlens-subcaption`)).toContain("pooled: 6×6 tokens per cell");
    await drag([50, 70], [60, 80], 256);
    await page.waitForFunction(
      (sel) => (document.querySelector(sel) as HTMLElement).dataset.zoomFrom === "host",
      PANEL,
    );
    const [r0, r1, c0, c1] = (await dataset()).zoomWindow!.split(",").map(Number);
    expect([r0, c0]).toEqual([300, 420]);
    const tiles = ((await page.evaluate(() => (window as unknown as { sent: Sent[] }).sent)) as Sent[])
      .filter((m) => m.data.method === "custom")
      .map((m) => m.data.content);
    expect(tiles).toEqual([
      { event: "tile", id: "tile-1", site: "encoder.self.0", batch: 0, head: 1, rows: [r0, r1], cols: [c0, c1] },
    ]);
    expect(await page.textContent(`${PANEL} .attnlens-subcaption`)).toContain("exact weights from the kernel");
    const zb = await box();
    for (const [dy, dx] of [
      [0, 0],
      [5, 9],
      [r1 - r0 - 1, c1 - c0 - 1],
    ]) {
      await page.mouse.move(zb.x + ((dx + 0.5) * zb.width) / (c1 - c0), zb.y + ((dy + 0.5) * zb.height) / (r1 - r0));
      const tip = await page.textContent(".attnlens-tooltip");
      expect(tip).toContain(`target [${r0 + dy}]`);
      expect(tip).toContain(`source [${c0 + dx}]`);
      const shown = Number(tip!.match(/weight: ([0-9.e-]+)/)![1]);
      const want = Math.fround(closedForm(T, 1, r0 + dy, c0 + dx));
      expect(Math.abs(shown - want)).toBeLessThanOrEqual(want * 1e-5);
    }
  });

  it("keeps the overview's cells and shows the kernel's reason when a request is refused", async () => {
    await page.click(`${PANEL} button[name=reset-zoom]`);
    await page.waitForFunction((sel) => !(document.querySelector(sel) as HTMLElement).dataset.zoomWindow, PANEL);
    await page.evaluate(() => {
      (window as unknown as { refuse: boolean }).refuse = true;
    });
    await drag([10, 10], [20, 20], 256);
    await page.waitForFunction((sel) => (document.querySelector(sel) as HTMLElement).dataset.zoomFrom, PANEL);
    expect((await dataset()).zoomFrom).toBe("overview");
    const sub = await page.textContent(`${PANEL} .attnlens-subcaption`);
    expect(sub).toContain(
      "6×6 tokens per cell (overview); the kernel did not answer: refused a tile request: <b>no</b>",
    );
    expect(await page.locator(`${PANEL} b`).count()).toBe(0); // the reason stays text
    expect(errors).toEqual([]);
  });
});
