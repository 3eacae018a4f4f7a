/**
 * End to end in a real Notebook 7 (the venv's `python -m notebook`): the same tutorial copy on the
 * "TypeScript (attnlens)" kernel opens, runs ("Run All Cells"), draws its views, and a head-grid
 * click opens that head; no error in the page, the kernel idle after. One server, one page.
 */
import * as path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  closeSession,
  drawnSize,
  errorOutputs,
  fullView,
  kernelStatus,
  openAndRunAll,
  type Session,
  stage,
  TUTORIAL,
  views,
} from "./lab";
import { ensureBuilt } from "./setup";

describe("attnlens in a real Notebook 7", () => {
  const run: Partial<Session> = {};
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    ensureBuilt("kernel-lib", "widgets", "labextension");
    const s = await stage();
    ({ page, errors } = await openAndRunAll(run, "notebook", s, TUTORIAL));
    expect(page.url()).toContain(`/notebooks/${path.basename(TUTORIAL)}`);
  }, 300_000);

  afterAll(() => closeSession(run));

  it("runs the tutorial and draws its views", async () => {
    expect(await errorOutputs(page)).toEqual([]);
    await fullView(page).first().waitFor({ timeout: 30_000 });
    expect(await views(page).count()).toBeGreaterThanOrEqual(1);
    const size = await drawnSize(fullView(page).first());
    expect(size.width).toBeGreaterThan(100);
    expect(size.height).toBeGreaterThan(50);
  });

  it("a head-grid click opens that head", async () => {
    const view = fullView(page).first();
    await view.scrollIntoViewIfNeeded();
    const updates = async () => Number(await view.getAttribute("data-updates"));
    const marks = view.locator(".attnlens-grid svg g.mark-rect.role-mark path");
    const n = await marks.count();
    expect(n).toBeGreaterThan(1);
    const before = await updates();
    await marks.nth(1).click(); // layer 0, head 1
    await expect.poll(updates).toBeGreaterThan(before);
    expect(await view.locator('select[name="layer"]').inputValue()).toBe("0");
    expect(await view.locator('select[name="head"]').inputValue()).toBe("1");
  });

  it("the kernel stays alive and the page logged no error", async () => {
    expect(await kernelStatus(page)).toBe("idle");
    expect(errors).toEqual([]);
  });
});
