/**
 * The corpus overview as a live widget in a real JupyterLab 4 (jupyterlab_widgets, the
 * "TypeScript (attnlens)" kernel): `attnlens.corpusWidget(DIR, { model })` draws the overview
 * through the widget manager; opening an input in its lists is sent to the kernel, which runs the
 * demo model on its text and the input's attention views appear under the overview.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCorpusDir } from "../../kernel-lib/test/corpusFixture";
import { type Browser, launchChromium } from "./browser";
import type { JupyterApp } from "./jupyterApp";
import { collectErrors, command, errorOutputs, kernelStatus, openNotebook, type Stage, stage, start } from "./lab";
import { ensureBuilt, removeTempDirs } from "./setup";

const WIDGET = ".jp-OutputArea-output .attnlens-widget";
const cell = (source: string) => ({ cell_type: "code", metadata: {}, execution_count: null, outputs: [], source });

describe("live corpus overview in a real JupyterLab", () => {
  let s: Stage;
  let app: JupyterApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    ensureBuilt("kernel-lib", "widgets", "labextension");
    s = await stage();
    const dir = path.join(s.root, "corpus-run");
    await makeCorpusDir(dir, [
      "The dogs near the car are hungry.",
      "The cat is tired.",
      "The animals near the street are scared.",
      "The dog near the cars is hungry.",
    ]);
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "attnlens", display_name: "TypeScript (attnlens)", language: "typescript" } },
      cells: [
        cell(
          'import * as attnlens from "attnlens";\n' +
            'const model = await attnlens.loadModel("tiny-agreement-bert");\n' +
            `const view = await attnlens.corpusWidget(${JSON.stringify(dir)}, { model: model });`,
        ),
      ],
    };
    writeFileSync(path.join(s.root, "corpus.ipynb"), JSON.stringify(nb, null, 1));
    [app, browser] = await Promise.all([start("lab", s), launchChromium()]);
    page = await browser.newPage();
    errors = collectErrors(page);
    await openNotebook(page, app, "corpus.ipynb");
    await command(page, "notebook:run-all-cells");
    await page.locator(`${WIDGET} .attnlens-corpus[data-ready="true"]`).waitFor({ timeout: 120_000 });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    removeTempDirs();
  });

  it("opening an input runs it in the kernel and draws its attention views under the overview", async () => {
    expect(await page.locator(`${WIDGET} g.corpus_grid_marks path`).count()).toBe(16);
    const item = page.locator(`${WIDGET} .attnlens-corpus-typical li button`).first();
    const text = await item.textContent();
    await item.click();
    await page.locator(`${WIDGET} .attnlens-corpus-live .attnlens[data-ready="true"]`).waitFor({ timeout: 60_000 });
    expect(await page.locator(`${WIDGET} .attnlens-corpus-open .attnlens-corpus-text`).textContent()).toBe(text);
    const tokens = await page.locator(`${WIDGET} .attnlens-corpus-live select[name="sample"]`).textContent();
    expect(tokens?.toLowerCase()).toContain((text ?? "").toLowerCase().split(" ").slice(0, 2).join(" "));
    expect(await errorOutputs(page)).toEqual([]);
    expect(errors).toEqual([]);
    expect(await kernelStatus(page)).toBe("idle");
  }, 90_000);
});
