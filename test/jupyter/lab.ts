/**
 * Shared steps of the end-to-end tests in real JupyterLab and Notebook 7: lay out a temporary root
 * with tutorial copies on the "TypeScript (attnlens)" kernel, start the app with the set-up data
 * directory, and drive the page through the app's own commands (window.jupyterapp: what the menus
 * run) in Debian's Chromium.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Locator, Page } from "playwright-core";
import { type Browser, launchChromium } from "./browser";
import { type AppKind, type JupyterApp, startJupyterApp } from "./jupyterApp";
import { PYTHON, ROOT, removeTempDirs, setupJupyterData, tempDir } from "./setup";

/** A tutorial that draws every kind of view from a bundled demo model (no files beside it). */
export const TUTORIAL = "02-heatmaps.ipynb";

export interface Stage {
  root: string;
  dataDir: string;
  configDir: string;
}

/**
 * A temporary root holding a copy of the tutorial set to the attnlens kernel (the notebook lives
 * outside the repository, as a user's does), and a data directory made by scripts/setup-jupyter.mjs.
 */
export async function stage(): Promise<Stage> {
  const base = tempDir("lab");
  const root = path.join(base, "root");
  const { dataDir } = await setupJupyterData({ dataDir: path.join(base, "data") });
  mkdirSync(root, { recursive: true });
  writeLabSettings(base);
  const nb = JSON.parse(readFileSync(path.join(ROOT, "notebooks", TUTORIAL), "utf8"));
  nb.metadata.kernelspec = { name: "attnlens", display_name: "TypeScript (attnlens)", language: "typescript" };
  writeFileSync(path.join(root, TUTORIAL), JSON.stringify(nb, null, 1));
  return { root, dataDir, configDir: path.join(base, "config") };
}

/** User settings for JupyterLab (JUPYTERLAB_SETTINGS_DIR, see jupyterApp.ts). */
function writeLabSettings(base: string): void {
  // Every cell in the DOM (no windowing), so counting the outputs counts them all.
  const settings = path.join(base, "lab-settings", "@jupyterlab", "notebook-extension");
  mkdirSync(settings, { recursive: true });
  writeFileSync(path.join(settings, "tracker.jupyterlab-settings"), JSON.stringify({ windowingMode: "none" }));
  // No "get notified about Jupyter news?" prompt (no network here, and it covers the page).
  const apputils = path.join(base, "lab-settings", "@jupyterlab", "apputils-extension");
  mkdirSync(apputils, { recursive: true });
  writeFileSync(path.join(apputils, "notification.jupyterlab-settings"), JSON.stringify({ fetchNews: "false" }));
}

export function start(kind: AppKind, s: Stage): Promise<JupyterApp> {
  return startJupyterApp(kind, { python: PYTHON, rootDir: s.root, dataDir: s.dataDir, configDir: s.configDir });
}

/** Console messages that are not errors of attnlens or of the page (each one says why). */
const BENIGN: { pattern: RegExp; why: string }[] = [
  // The wheel test's throwaway venv sees the project venv's packages through a .pth file, but not
  // the server-extension switches under that venv's etc/jupyter: jupyter-lsp's endpoint is absent,
  // and the Lab front end's LSP status poll gets a 404 (a normal venv with jupyterlab has it).
  { pattern: /status of 404 .* @ http:\/\/127\.0\.0\.1:\d+\/lsp\/status\?/, why: "no jupyter-lsp server extension" },
  // Notebook 7.6.5's own start-up (its notebook_core bundle, while loading settings) throws this
  // with the attnlens extension disabled too (checked with `jupyter labextension disable`): not ours.
  {
    pattern:
      /^pageerror: Cannot read properties of undefined \(reading 'schema'\) @ \S+\/static\/notebook\/notebook_core\./,
    why: "Notebook 7 start-up",
  },
];

/** Collects console errors and uncaught exceptions of a page, less the known-benign ones above. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const text = `console: ${m.text()} @ ${m.location().url}`;
    if (!BENIGN.some((b) => b.pattern.test(text))) errors.push(text);
    else if (process.env.ATTNLENS_DEBUG) console.log(`benign: ${text}`);
  });
  page.on("pageerror", (e) => {
    const where = /https?:\/\/[^\s)]+/.exec(e.stack ?? "")?.[0] ?? "";
    const text = `pageerror: ${e.message} @ ${where}`;
    // the stack goes with a reported error: a one-off failure must say which code threw
    const frames = (e.stack ?? "").split("\n").slice(1, 13).join("\n");
    if (!BENIGN.some((b) => b.pattern.test(text))) errors.push(`${text}\n${frames}`);
  });
  return errors;
}

type AnyWindow = { jupyterapp: { commands: { execute(id: string, args?: unknown): Promise<unknown> } } };

/** Runs one of the app's commands (the action behind a menu item) and waits for its promise. */
export function command(page: Page, id: string, args?: Record<string, unknown>): Promise<unknown> {
  return page.evaluate(
    ([c, a]) => (window as unknown as AnyWindow).jupyterapp.commands.execute(c as string, a ?? undefined),
    [id, args ?? null] as const,
  );
}

/**
 * A kernel's first start (tslab compiling its TypeScript) took over 60 s on a 2-core machine running
 * the whole suite; twice that still fails a kernel that never starts, well inside the hooks' limits.
 */
const KERNEL_START_MS = 120_000;

/** Opens a notebook and waits until its kernel is idle. */
export async function openNotebook(page: Page, app: JupyterApp, file: string): Promise<void> {
  const url = app.kind === "lab" ? `${app.url}/lab/tree/${file}` : `${app.url}/notebooks/${file}`;
  await page.goto(`${url}?token=${app.token}`);
  await page.waitForFunction(() => Boolean((window as unknown as Partial<AnyWindow>).jupyterapp), null, {
    timeout: 60_000,
  });
  await page.locator(".jp-Notebook .jp-Cell").first().waitFor({ timeout: 60_000 });
  await kernelIdle(page, KERNEL_START_MS);
}

/** A running app and a Chromium page on it, whose console errors are collected as they come. */
export interface Session {
  app: JupyterApp;
  browser: Browser;
  page: Page;
  errors: string[];
}

/**
 * Starts the app and Chromium together, opens `file` on a fresh page and runs all its cells. Fills
 * `into` as it goes, so closeSession(into) stops what started even when a step fails.
 */
export async function openAndRunAll(into: Partial<Session>, kind: AppKind, s: Stage, file: string): Promise<Session> {
  const [app, browser] = await Promise.all([start(kind, s), launchChromium()]);
  Object.assign(into, { app, browser });
  const page = await browser.newPage();
  const errors = collectErrors(page);
  Object.assign(into, { page, errors });
  if (process.env.ATTNLENS_DEBUG) page.on("console", (m) => console.log(`[page ${m.type()}] ${m.text()}`));
  await openNotebook(page, app, file);
  await command(page, "notebook:run-all-cells");
  await kernelIdle(page, 120_000);
  return { app, browser, page, errors };
}

/** Closes what openAndRunAll started (whatever part of it did start) and the temporary folders. */
export async function closeSession(session: Partial<Session> | undefined): Promise<void> {
  if (process.env.ATTNLENS_DEBUG) console.log(session?.app?.log());
  await session?.browser?.close();
  await session?.app?.stop();
  removeTempDirs();
}

/** The current notebook's kernel status, as the page knows it ("idle", "busy", "dead", …). */
export function kernelStatus(page: Page): Promise<string> {
  return page.evaluate(() => {
    const app = (window as unknown as { jupyterapp: { shell: { currentWidget: unknown } } }).jupyterapp;
    const w = app.shell.currentWidget as { sessionContext?: { session?: { kernel?: { status: string } } } } | null;
    return w?.sessionContext?.session?.kernel?.status ?? "none";
  });
}

export async function kernelIdle(page: Page, timeout = 60_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while ((await kernelStatus(page)) !== "idle") {
    if (Date.now() > deadline) throw new Error(`kernel not idle after ${timeout} ms: ${await kernelStatus(page)}`);
    await page.waitForTimeout(200);
  }
}

/** Text of every error output in the notebook (a failed cell), for messages. */
export function errorOutputs(page: Page): Promise<string[]> {
  return page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").allTextContents();
}

/** The drawn attnlens views (the renderer marks its root data-ready when drawn). */
export function views(page: Page): Locator {
  return page.locator('.jp-AttnlensView .attnlens[data-ready="true"]');
}

/** Width × height of the largest SVG or canvas inside a view. */
export function drawnSize(view: Locator): Promise<{ width: number; height: number }> {
  return view.evaluate((el) => {
    let best = { width: 0, height: 0 };
    for (const g of el.querySelectorAll("svg, canvas")) {
      const r = g.getBoundingClientRect();
      if (r.width * r.height > best.width * best.height) best = { width: r.width, height: r.height };
    }
    return best;
  });
}

/** The first view that shows a head grid beside the main view (the full `show` view). */
export function fullView(page: Page): Locator {
  return views(page)
    .filter({ has: page.locator(".attnlens-grid") })
    .filter({ has: page.locator('select[name="head"]') });
}
