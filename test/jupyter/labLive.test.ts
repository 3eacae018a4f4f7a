/**
 * The live widget in a real JupyterLab 4 with jupyterlab_widgets, on the "TypeScript (attnlens)"
 * kernel (tslab with comms): `attnlens.widget(result, { model })` draws through the widget manager; a
 * click on a head in the grid reaches the kernel (a cell waiting on `view.on("select")` prints
 * `view.selection`); `view.update(result2)` redraws the same output; a sentence typed into the
 * widget's text box is run by the model in the kernel and the maps change, with no new cell.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, launchChromium } from "./browser";
import type { JupyterApp } from "./jupyterApp";
import {
  collectErrors,
  command,
  errorOutputs,
  kernelIdle,
  kernelStatus,
  openNotebook,
  type Stage,
  stage,
  start,
} from "./lab";
import { ensureBuilt, removeTempDirs } from "./setup";

const FIRST = "The animal didn't cross the street because it was too tired.";
const SECOND = "The dog wouldn't cross the street since it was too slow.";
const TYPED = "The teacher didn't cross the road.";
const WIDGET = ".jp-OutputArea-output .attnlens-widget";

const cell = (source: string) => ({ cell_type: "code", metadata: {}, execution_count: null, outputs: [], source });

describe("live attnlens widget in a real JupyterLab", () => {
  let s: Stage;
  let app: JupyterApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  /** The sample selector's text: it names the sentence the widget's maps come from. */
  const shownText = () => page.locator(`${WIDGET} .attnlens[data-ready="true"] select[name="sample"]`).textContent();
  const outputOf = (i: number) => page.locator(".jp-Notebook .jp-Cell").nth(i).locator(".jp-OutputArea-output");

  beforeAll(async () => {
    ensureBuilt("kernel-lib", "widgets", "labextension");
    s = await stage();
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "attnlens", display_name: "TypeScript (attnlens)", language: "typescript" } },
      cells: [
        cell(
          'import * as attnlens from "attnlens";\n' +
            'const model = await attnlens.loadModel("tiny-agreement-bert");\n' +
            `const result = await model.run(${JSON.stringify(FIRST)});\n` +
            `const result2 = await model.run(${JSON.stringify(SECOND)});`,
        ),
        cell(`const view = await attnlens.widget(result, { model: model, text: ${JSON.stringify(FIRST)} });`),
        // Waits for the user's click, so "Run All" can run the whole notebook.
        cell('await new Promise((done) => view.on("select", done));\nJSON.stringify(view.selection)'),
        cell("await view.update(result2);"),
      ],
    };
    writeFileSync(path.join(s.root, "live.ipynb"), JSON.stringify(nb, null, 1));
    [app, browser] = await Promise.all([start("lab", s), launchChromium()]);
    page = await browser.newPage();
    errors = collectErrors(page);
    await openNotebook(page, app, "live.ipynb");
    // Not awaited: "Run All" settles when the last cell is done, and the third one waits for a click.
    void command(page, "notebook:run-all-cells").catch(() => undefined);
    await page.locator(`${WIDGET} .attnlens[data-ready="true"]`).waitFor({ timeout: 120_000 });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    removeTempDirs();
  });

  it("draws the widget through the widget manager, from the kernel's model", async () => {
    expect(await page.locator(WIDGET).count()).toBe(1);
    expect(await shownText()).toContain("the animal didn");
    expect(await page.locator(`${WIDGET} form.attnlens-widget-text input`).inputValue()).toBe(FIRST);
  });

  it("a head-grid click is view.selection in the kernel; view.update then redraws the same output", async () => {
    await page
      .locator(`${WIDGET} .attnlens-grid g.grid_cells_marks path`)
      .nth(2 * 4 + 3)
      .click();
    await expect.poll(() => outputOf(2).textContent(), { timeout: 30_000 }).toContain('"layer":2');
    expect(JSON.parse((await outputOf(2).textContent()) ?? "")).toEqual({
      site: "encoder.self.2",
      layer: 2,
      head: 3,
      token: null,
      sample: 0,
    });
    await expect.poll(shownText, { timeout: 30_000 }).toContain("the dog wouldn");
    await kernelIdle(page, 60_000);
    expect(await page.locator(WIDGET).count()).toBe(1);
    expect(await outputOf(3).count()).toBe(0);
    expect(await page.locator(`${WIDGET} select[name="head"]`).inputValue()).toBe("3");
  });

  it("text typed into the widget's box is run by the model in the kernel, and the maps change", async () => {
    const input = page.locator(`${WIDGET} form.attnlens-widget-text input`);
    await input.fill(TYPED);
    await input.press("Enter");
    await expect.poll(shownText, { timeout: 30_000 }).toContain("the teacher didn");
    expect(await page.locator(WIDGET).count()).toBe(1);
    expect(await page.locator(`${WIDGET} .attnlens-widget-status`).isHidden()).toBe(true);
  });

  it("leaves no error output or console error, and the kernel alive", async () => {
    expect(await errorOutputs(page)).toEqual([]);
    expect(errors).toEqual([]);
    expect(await kernelStatus(page)).toBe("idle");
  });
});
