/**
 * A probe suite's section in `exportReport`'s page, opened in Chromium from file:// with scripts
 * disabled and every network request refused: the heatmap is there as inline SVG (a cell per group
 * and head, a star per head the table marks significant), hostile group and suite names are text,
 * nothing runs and nothing is fetched. The counts themselves are recounted from the maps in
 * kernel-lib/src/output/display/suite.test.ts; here the question is whether a browser shows them.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, launchChromium, refuseNetwork, watchErrors } from "../jupyter/browser";
import { ensureBuilt, removeTempDirs, tempDir } from "../jupyter/setup";

type Attnlens = typeof import("attnlens");
type Testing = typeof import("attnlens/testing");
type SuiteTable = Awaited<ReturnType<Attnlens["runProbeSuite"]>>;
const load = createRequire(__filename);
const tmp = tempDir("suite-report");

const HOSTILE = "<img src=x onerror=alert(1)>";
const WORDS = ["[CLS]", "the", "dog", "near", "the", "cars", "is", "hungry", "[SEP]"];
const [FROM, TO] = [6, 2]; // "is", "dog"
const LAYERS = 2;
const HEADS = 3;

/** Random rows (seeded per sentence); layer 1 head 0's "is" row puts half its mass on "dog". */
function sentence(testing: Testing, i: number) {
  const N = WORDS.length;
  const tokens = WORDS.map((text, id) => ({ text, id, word: null, special: text.startsWith("[") }));
  const sites = Array.from({ length: LAYERS }, (_, layer) => {
    const data = testing.randomAttention({ dims: [1, HEADS, N, N], seed: 1000 * (i + 1) + layer });
    if (layer === 1) {
      const row = FROM * N;
      data[row + TO] += 1;
      for (let j = 0; j < N; j++) data[row + j] /= 2;
    }
    return {
      id: `encoder.self.${layer}`,
      stack: "encoder" as const,
      kind: "self" as const,
      layer,
      heads: HEADS,
      causal: false,
      node: "n",
      data,
      dims: [1, HEADS, N, N] as [number, number, number, number],
    };
  });
  return { sites, provider: "cpu", fallbacks: [], masks: {}, tokens: { source: [tokens] } } as Parameters<
    Attnlens["probe"]
  >[0];
}

describe("a probe suite's heatmap in the report page, scripts off, offline", () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let table: SuiteTable;
  let html: string;
  const requests: string[] = [];

  beforeAll(async () => {
    ensureBuilt("kernel-lib", "widgets");
    const attnlens = load("attnlens") as Attnlens;
    const testing = load("attnlens/testing") as Testing;
    const texts = Array.from({ length: 16 }, (_, i) => `sentence ${i}`);
    const model = { run: async (text: string) => sentence(testing, texts.indexOf(text)) };
    table = await attnlens.runProbeSuite(model, {
      name: `suite ${HOSTILE}`,
      cases: texts.map((text, i) => ({ group: i < 8 ? HOSTILE : "plain", text, from: "is", to: "dog", other: "cars" })),
    });
    const out = path.join(tmp, "suite.html");
    await attnlens.exportReport([{ suite: table }], out);
    html = readFileSync(out, "utf8");
    browser = await launchChromium();
    await refuseNetwork(browser, (url) => requests.push(url));
    page = await browser.newPage();
    errors = watchErrors(page);
    // No script runs: what shows is what the HTML itself carries.
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send("Emulation.setScriptExecutionDisabled", { value: true });
    await page.goto(pathToFileURL(out).href);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    removeTempDirs();
  });

  it("draws the heatmap: a visible cell per group and head, the table's significant heads starred", async () => {
    const figure = page.locator("figure.attnlens-suite-view > svg");
    expect(await figure.count()).toBe(1);
    const box = await figure.boundingBox();
    expect(box?.width).toBeGreaterThan(200);
    expect(box?.height).toBeGreaterThan(60);
    const cells = page.locator("figure.attnlens-suite-view g.mark-rect.role-mark > path");
    expect(await cells.count()).toBe(2 * LAYERS * HEADS);
    const first = await cells.first().boundingBox();
    expect(first?.width).toBeGreaterThan(10); // 22 px steps
    const stars = await page.locator("figure.attnlens-suite-view g.mark-text.role-mark > text").allTextContents();
    const significant = table.groups.flatMap((g) => g.heads.filter((h) => h.pAdjusted < 0.05));
    expect(stars).toEqual(significant.map(() => "*"));
    // the leaning head passes in both groups (8 sentences: p = 1/256, Holm over 6 heads = 0.023)
    expect(significant.filter((h) => h.site === "encoder.self.1" && h.head === 0)).toHaveLength(2);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("keeps hostile suite and group names as text, in the picture and in the table", async () => {
    expect(html).not.toContain(HOSTILE);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    const svgText = await page.locator("figure.attnlens-suite-view > svg").evaluate((el) => el.textContent ?? "");
    expect(svgText).toContain(HOSTILE);
    const sectionText = await page.locator("#section-0").evaluate((el) => el.textContent ?? "");
    expect(sectionText).toContain(`suite ${HOSTILE}`);
    expect(sectionText).toContain(`${HOSTILE} · 8 sentences`);
  });
});
