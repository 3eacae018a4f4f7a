/**
 * The bundle as a report would use it: a file:// page that loads dist-style attnlens-widgets.js
 * with a <script src>, no server and no network. Also: the bundle contains no CDN address.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { expect, it } from "vitest";
import { launch, watch, widgetsBundle } from "./harness";
import { payloadOf } from "./payloads";

it("renders from a file:// page with the bundle beside it, offline", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "attnlens-offline-"));
  copyFileSync(await widgetsBundle(), path.join(dir, "attnlens-widgets.js"));
  const payload = payloadOf({ layers: 2, heads: 2, tokens: 8 });
  writeFileSync(path.join(dir, "payload.js"), `window.payload = ${JSON.stringify(payload)};`);
  writeFileSync(
    path.join(dir, "report.html"),
    `<!doctype html><meta charset="utf-8"><div id="host"></div><script src="attnlens-widgets.js"></script>
<script src="payload.js"></script>
<script>attnlensWidgets.render(document.getElementById("host"), window.payload, { theme: "dark" });</script>`,
  );
  const browser = await launch();
  try {
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(pathToFileURL(path.join(dir, "report.html")).href);
    await page.waitForSelector(".attnlens[data-ready=true]", { timeout: 20_000 });
    expect(await page.locator(".attnlens-main g.heat_xlabels_marks text").count()).toBe(8);
    expect(problems.console).toEqual([]);
    expect(problems.requests.every((u) => u.startsWith("file://"))).toBe(true);
  } finally {
    await browser.close();
  }
  const js = readFileSync(await widgetsBundle(), "utf8");
  expect(js).not.toMatch(/cdn\.jsdelivr|unpkg\.com|cdnjs/);
});
