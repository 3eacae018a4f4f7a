/**
 * Headless Chromium for the browser tests: Debian's /usr/bin/chromium through playwright-core
 * (never a downloaded browser), a fresh profile per launch, and flags that keep it off the network.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { CHROMIUM_ARGS } from "../../scripts/chromium.mjs";

export const CHROMIUM = process.env.ATTNLENS_CHROMIUM ?? "/usr/bin/chromium";

// The shared flags (scripts/chromium.mjs), plus /tmp for shared memory: a kernel, a server and a
// browser run side by side in these tests.
const FLAGS = [...CHROMIUM_ARGS, "--disable-dev-shm-usage"];

export interface Browser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), "attnlens-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1200, height: 900 },
  });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Refuses every request that is not the page's file or inline data (what an offline report or
 * embed must do without), handing each refused URL to `record` for "no request" assertions.
 */
export async function refuseNetwork(browser: Browser, record: (url: string) => void): Promise<void> {
  await browser.context.route(/^(?!file:|data:|blob:)/, (route) => {
    record(route.request().url());
    return route.abort();
  });
}

/** Collects console errors, page errors and failed requests of a page, for "no error" assertions. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  return errors;
}
