// Regenerates docs/attnlens-report.png (the README's picture): the `attnlens demo` report opened
// from file:// in headless Chromium, the heatmap of the documented pronoun head selected.
// Usage: npm run build && node kernel-lib/bin/attnlens.js demo && node scripts/readme-picture.mjs
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { launchChromium } from "./chromium.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const report = path.join(root, "out", "attnlens-demo.html");
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(pathToFileURL(report).href);
  await page.waitForSelector("svg, canvas", { timeout: 30_000 });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(root, "docs", "attnlens-report.png"), fullPage: false });
} finally {
  await browser.close();
}
