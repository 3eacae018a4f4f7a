/**
 * Long inputs: a 1,024 × 1,024 map is one raster image (no per-cell SVG), brushing zooms to a token
 * range with token labels, and the 12 × 12 head grid of a 128-token input draws pooled overviews.
 */
import { describe, expect, it } from "vitest";
import { mapAt } from "../../widgets/src/payload/maps";
import { formatWeight } from "../../widgets/src/view/tooltip";
import { afterUpdate, mount } from "./harness";
import { cellsBox, MAIN, usePages } from "./pages";
import { payloadOf } from "./payloads";
import { brightestPixel, readPng } from "./pngRead";

const page = usePages();

describe("1,024-token heatmap", () => {
  const payload = payloadOf({ layers: 1, heads: 1, tokens: 1024 }, { metrics: false, rollout: false });
  const tokens = payload.tokens.source!.text[0];

  it("renders as one raster image, not one element per cell", async () => {
    const p = await page();
    const ms = await mount(p, payload);
    expect(ms).toBeLessThan(5000);
    const counts = await p.evaluate((sel) => {
      const svg = document.querySelector(`${sel} svg`)!;
      return {
        images: svg.querySelectorAll("g.heat_cells_marks image").length,
        elements: svg.querySelectorAll("*").length,
      };
    }, MAIN);
    expect(counts.images).toBe(1);
    expect(counts.elements).toBeLessThan(300);
    // Positions on the axes, not 1,024 labels.
    expect(await p.locator(`${MAIN} g.heat_xlabels_marks text`).count()).toBe(0);
  });

  it("zooms to a brushed token range and labels it with the tokens", async () => {
    const p = await page();
    await mount(p, payload);
    const b = await cellsBox(p);
    const at = (c: number) => b.x + (c * b.width) / 1024;
    const atY = (r: number) => b.y + (r * b.height) / 1024;
    await p.mouse.move(at(100.5), atY(200.5));
    await p.mouse.down();
    await p.mouse.move(at(120), atY(215), { steps: 4 });
    await p.mouse.up();
    await p.waitForFunction((sel) => document.querySelectorAll(`${sel} g.heat_xlabels_marks text`).length > 0, MAIN);
    const x = await p.$$eval(`${MAIN} g.heat_xlabels_marks text`, (els) => els.map((e) => e.textContent));
    const y = await p.$$eval(`${MAIN} g.heat_ylabels_marks text`, (els) => els.map((e) => e.textContent));
    expect(x).toEqual(tokens.slice(100, 120));
    expect(y).toEqual(tokens.slice(200, 215));
    // The tooltip of a zoomed cell still reads the payload.
    const z = await cellsBox(p);
    await p.mouse.move(z.x + (3.5 * z.width) / 20, z.y + (2.5 * z.height) / 15);
    const map = mapAt(payload.sites[0].maps!, 0, 0);
    await expect
      .poll(() => p.textContent(".attnlens-tooltip"))
      .toContain(`weight: ${formatWeight(map[202 * 1024 + 103])}`);
    await p.click("button[name=reset-zoom]");
    await p.waitForFunction((sel) => document.querySelectorAll(`${sel} g.heat_xlabels_marks text`).length === 0, MAIN);
  });
});

describe("1,024-token raster pixels", () => {
  it("puts the brightest pixel at the maximum weight (max-pooled to screen pixels)", async () => {
    const payload = payloadOf(
      { layers: 1, heads: 1, tokens: 1024, patterns: ["random"], seed: 7 },
      { metrics: false, rollout: false },
    );
    const map = mapAt(payload.sites[0].maps!, 0, 0);
    let arg = 0;
    for (let i = 1; i < map.length; i++) if (map[i] > map[arg]) arg = i;
    const p = await page();
    await mount(p, payload);
    const shot = readPng(await p.screenshot({ clip: await cellsBox(p) }));
    const { at } = brightestPixel(shot);
    // One screen pixel spans about two cells: the maximum lies within ±2 cells of the brightest pixel.
    const c = ((at[0] + 0.5) / shot.width) * 1024;
    const r = ((at[1] + 0.5) / shot.height) * 1024;
    expect(Math.abs(c - ((arg % 1024) + 0.5))).toBeLessThanOrEqual(2.5);
    expect(Math.abs(r - (Math.floor(arg / 1024) + 0.5))).toBeLessThanOrEqual(2.5);
  });
});

describe("12 × 12 grid at 128 tokens", () => {
  it("draws 144 pooled thumbnails and previews a head on hover", async () => {
    const payload = payloadOf({ layers: 12, heads: 12, tokens: 128 }, { metrics: false, rollout: false });
    expect(payload.sites[0].overview!.dims).toEqual([1, 12, 32, 32]);
    const p = await page();
    await mount(p, payload);
    expect(await p.locator(".attnlens-grid g.grid_thumbs_marks image").count()).toBe(144);
    expect(await p.textContent(".attnlens-grid")).toContain("pooled overviews");
    const cell = p.locator(".attnlens-grid g.grid_cells_marks path").nth(7 * 12 + 5);
    await afterUpdate(p, () => cell.hover());
    expect(await p.textContent(`${MAIN} .attnlens-caption`)).toContain("layer 7 · head 5");
  });
});
