/**
 * Browser tests in real headless Chromium (the system's /usr/bin/chromium through playwright-core;
 * nothing is downloaded, nothing touches the network). The widgets bundle is built from source
 * once per run and inlined into each page, whose CSP forbids eval and every network fetch.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../../scripts/chromium.mjs";
import type { AttentionPayload } from "../../widgets/src/payload/types";

/** No eval, no network: scripts and styles only inline, images only from data: URLs. */
export const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

let bundlePath: Promise<string> | undefined;

/** Builds dist-like bundle into a temp dir (once per test run) and returns its path. */
export function widgetsBundle(): Promise<string> {
  bundlePath ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "attnlens-widgets-"));
    const out = path.join(dir, "attnlens-widgets.js");
    const { bundle } = await import("../../widgets/bundle.mjs");
    await bundle(out);
    return out;
  })();
  return bundlePath;
}

export function launch(): Promise<Browser> {
  return launchChromium();
}

export interface Problems {
  console: string[];
  dialogs: string[];
  requests: string[];
}

/** Records console errors, page errors, dialogs and any request that is not a data: URL. */
export function watch(page: Page): Problems {
  const p: Problems = { console: [], dialogs: [], requests: [] };
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") p.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => p.console.push(`pageerror: ${e.message}`));
  page.on("dialog", (d) => {
    p.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on("request", (r) => {
    if (!r.url().startsWith("data:") && !r.url().startsWith("about:")) p.requests.push(r.url());
  });
  return p;
}

/** A page with the bundle inlined under the strict CSP, and an empty #host. */
export async function widgetPage(
  browser: Browser,
  theme: "light" | "dark" = "light",
): Promise<{ page: Page; problems: Problems }> {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1100 }, colorScheme: theme });
  const problems = watch(page);
  const js = readFileSync(await widgetsBundle(), "utf8").replace(/<\/script/gi, "<\\/script");
  await page.setContent(
    `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${CSP}">` +
      `<script>${js}</script></head><body style="margin:0"><div id="host"></div></body></html>`,
  );
  return { page, problems };
}

/** Renders `payload` into #host and waits for the first render; returns the ms it took. */
export async function mount(
  page: Page,
  payload: AttentionPayload,
  options: Record<string, unknown> = {},
): Promise<number> {
  return page.evaluate(
    ([p, o]) =>
      new Promise<number>((resolve, reject) => {
        const host = document.getElementById("host")!;
        const t0 = performance.now();
        host.addEventListener("attnlens:ready", () => requestAnimationFrame(() => resolve(performance.now() - t0)), {
          once: true,
        });
        const w = (window as unknown as { attnlensWidgets: { render: (...a: unknown[]) => () => void } })
          .attnlensWidgets;
        (window as unknown as { dispose: () => void }).dispose = w.render(host, p, o);
        setTimeout(() => reject(new Error("render did not finish in 20 s")), 20_000);
      }),
    [payload, options] as const,
  );
}

/** Runs `action` in the page and waits for the next finished update (data-updates grows). */
export async function afterUpdate(page: Page, action: () => Promise<void>): Promise<void> {
  const before = Number((await page.getAttribute("#host .attnlens", "data-updates")) ?? 0);
  await action();
  await page.waitForFunction(
    (n) => Number(document.querySelector("#host .attnlens")?.getAttribute("data-updates") ?? 0) > n,
    before,
  );
}
