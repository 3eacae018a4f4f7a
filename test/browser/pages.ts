/**
 * Shared page helpers for the browser tests: one browser per test file, pages opened with a
 * payload rendered, and a final check that no page logged an error, opened a dialog or made a
 * network request.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import type { AttentionPayload } from "../../widgets/src/payload/types";
import { launch, mount, type Problems, widgetPage } from "./harness";

/** The main heatmap panel (the rollout tab has its own). */
export const MAIN = ".attnlens-main > .attnlens-heatmap";

export type Open = (
  payload: AttentionPayload,
  options?: Record<string, unknown>,
  theme?: "light" | "dark",
) => Promise<Page>;

/** Registers beforeAll/afterAll for this file and returns `page`: a fresh widget page, nothing mounted. */
export function usePages(): (theme?: "light" | "dark") => Promise<Page> {
  let browser: Browser;
  const pages: Problems[] = [];
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    try {
      for (const problems of pages) {
        expect(problems.console, "console errors and warnings").toEqual([]);
        expect(problems.dialogs, "dialogs").toEqual([]);
        expect(problems.requests, "network requests").toEqual([]);
      }
    } finally {
      await browser?.close();
    }
  });
  return async (theme) => {
    const p = await widgetPage(browser, theme);
    pages.push(p.problems);
    return p.page;
  };
}

/** Registers beforeAll/afterAll for this file and returns `open`: a fresh page with `payload` rendered. */
export function useBrowser(): Open {
  const page = usePages();
  return async (payload, options = {}, theme = "light") => {
    const p = await page(theme);
    await mount(p, payload, { theme, ...options });
    return p;
  };
}

/** Client rect of the heatmap raster (= the plotted cells). */
export function cellsBox(page: Page, root = MAIN) {
  return page.evaluate((sel) => {
    const r = document.querySelector(`${sel} g.heat_cells_marks image`)!.getBoundingClientRect();
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  }, root);
}

export async function hoverCell(page: Page, r: number, c: number, R: number, C: number) {
  const box = await cellsBox(page);
  await page.mouse.move(box.x + ((c + 0.5) * box.width) / C, box.y + ((r + 0.5) * box.height) / R);
}

export const texts = (page: Page, selector: string) =>
  page.$$eval(selector, (els) => els.map((e) => e.textContent ?? ""));
export const caption = (page: Page) => page.textContent(`${MAIN} .attnlens-caption`);
export const rasterHref = (page: Page) => page.getAttribute(`${MAIN} g.heat_cells_marks image`, "href");
