/**
 * Node side of the browser harness: bundles harness/main.ts with esbuild, lays it out with a copy
 * of the installed extension for the jupyter_server to serve, opens it and starts a kernel.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { build } from "esbuild";
import type { Page } from "playwright-core";
import type { JupyterServer } from "./jupyterServer";
import { EXTENSION_NAME, installedExtension, ROOT } from "./setup";

const SHARED = [
  "@jupyter-widgets/base",
  "@lumino/algorithm",
  "@lumino/coreutils",
  "@lumino/disposable",
  "@lumino/messaging",
  "@lumino/signaling",
  "@lumino/widgets",
];

/** The harness script, bundled once per test run into memory. */
export async function bundleHarness(): Promise<string> {
  const versions: Record<string, string> = {};
  for (const name of SHARED) {
    versions[name] = JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
  }
  const result = await build({
    entryPoints: [path.join(__dirname, "harness", "main.ts")],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2020",
    define: { SHARED_VERSIONS: JSON.stringify(versions), "process.env.NODE_ENV": '"production"' },
    loader: { ".svg": "text", ".css": "empty", ".woff": "empty", ".woff2": "empty", ".ttf": "empty", ".eot": "empty" },
    // html-manager's libembed assigns webpack's public path (a webpack-only free variable).
    banner: { js: 'var __webpack_public_path__ = "";' },
    logLevel: "error",
  });
  return result.outputFiles[0].text;
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>attnlens harness</title>
<style>
  body { font-family: sans-serif; margin: 8px; }
  .harness-cell { border-top: 1px solid #ccc; padding: 4px 0; }
  .jp-OutputArea-child { display: flex; }
  .jp-OutputArea-output { flex: 1 1 auto; min-width: 0; }
</style></head>
<body data-jp-theme-light="true"><div id="cells"></div><script src="harness.js"></script></body></html>`;

/** Where the harness lives under the server's /static/ (see `harnessStaticRoot`). */
export const HARNESS_PATH = "/static/attnlens-harness";

/**
 * A directory for jupyter_server's `extra_static_paths` holding the harness page, its script and a
 * copy of the installed extension: the page then comes from the server itself, at its own origin
 * (REST, websocket and page share one loopback origin, as in JupyterLab).
 */
export function harnessStaticRoot(root: string, dataDir: string, script: string): string {
  const dir = path.join(root, "attnlens-harness");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "index.html"), PAGE);
  writeFileSync(path.join(dir, "harness.js"), script);
  cpSync(installedExtension(dataDir), path.join(dir, "labextensions", ...EXTENSION_NAME.split("/")), {
    recursive: true,
  });
  return root;
}

/** Opens the harness page in `page`, loads the extension and starts a tslab kernel. */
export async function openHarness(page: Page, server: JupyterServer): Promise<{ kernel: string; mimeTypes: string[] }> {
  await page.goto(`${server.url}${HARNESS_PATH}/index.html`);
  await page.waitForFunction(() => "harness" in window);
  return page.evaluate(
    (o) =>
      (
        window as unknown as { harness: { start(o: unknown): Promise<{ kernel: string; mimeTypes: string[] }> } }
      ).harness.start(o),
    {
      baseUrl: `${server.url}/`,
      token: server.token,
      extensionUrl: `${server.url}${HARNESS_PATH}/labextensions/${EXTENSION_NAME}`,
      extensionName: EXTENSION_NAME,
      kernelName: "tslab",
    },
  );
}
