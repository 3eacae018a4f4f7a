/**
 * The patch-grid view in headless Chromium: the heat overlay lies where the payload's attention is high,
 * over the picture, and the layer / head / query selectors move it as asked.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { hotPatch, patchPayload } from "../../widgets/test/patchPayload";
import { afterUpdate } from "./harness";
import { useBrowser } from "./pages";
import { readPng } from "./pngRead";

const open = useBrowser();
const ROWS = 3;
const COLS = 4;
const payload = patchPayload(ROWS, COLS, 2, 2);

/** Luminance at the centre of each patch, from a screenshot of the picture's box. */
async function patchLuminance(page: Page): Promise<number[]> {
  const box = await page.evaluate(() => {
    const r = document.querySelector("g.patch_picture_marks image")!.getBoundingClientRect();
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  });
  const shot = readPng(await page.screenshot({ clip: box }));
  const out: number[] = [];
  for (let r = 0; r < ROWS; r++)
    for (let c = 0; c < COLS; c++) {
      const x = Math.floor(((c + 0.5) / COLS) * shot.width);
      const y = Math.floor(((r + 0.5) / ROWS) * shot.height);
      const i = (y * shot.width + x) * 4;
      out.push(0.2126 * shot.data[i] + 0.7152 * shot.data[i + 1] + 0.0722 * shot.data[i + 2]);
    }
  return out;
}

const hottest = (lum: number[]) => lum.indexOf(Math.max(...lum));

describe("patch-grid view", () => {
  it("shows the picture under a semi-transparent heat layer, bright where [CLS] attends", async () => {
    const page = await open(payload, { view: "patches" });
    expect(await page.getAttribute("g.patch_picture_marks image", "href")).toBe(payload.image!.urls[0]);
    const opacity = Number(await page.getAttribute("g.patch_heat_marks path", "opacity"));
    expect(opacity).toBeGreaterThan(0);
    expect(opacity).toBeLessThan(1);
    // Default: layer 0, mean of heads 0 and 1 → patches 0 and 1 hot, the rest cold.
    const lum = await patchLuminance(page);
    const hot = [hotPatch(0, 0, 12), hotPatch(0, 1, 12)];
    const cold = lum.filter((_, p) => !hot.includes(p));
    for (const p of hot) expect(lum[p] - Math.max(...cold)).toBeGreaterThan(60);
    // Cold patches are all the same colour (same weight) and still show the grey picture through.
    expect(Math.max(...cold) - Math.min(...cold)).toBeLessThan(2);
    expect(Math.min(...cold)).toBeGreaterThan(20);
  });

  it("moves the heat with the layer and head selectors", async () => {
    const page = await open(payload, { view: "patches" });
    await page.selectOption("select[name=head]", "1");
    await expect.poll(async () => hottest(await patchLuminance(page))).toBe(hotPatch(0, 1, 12));
    await page.selectOption("select[name=layer]", "1");
    await expect.poll(async () => hottest(await patchLuminance(page))).toBe(hotPatch(1, 1, 12));
  });

  it("a query patch with uniform attention shows an even overlay", async () => {
    const page = await open(payload, { view: "patches" });
    expect(await page.textContent("select[name=query] option:first-child")).toBe("[CLS]");
    await afterUpdate(page, () => page.selectOption("select[name=query]", String(1 + 5)).then(() => undefined));
    expect(await page.textContent("g.role-title-text text")).toContain("patch (1, 1)");
    const lum = await patchLuminance(page);
    expect(Math.max(...lum) - Math.min(...lum)).toBeLessThan(2);
  });
});
