/**
 * The pip package of the extension (labextension/pyproject.toml, hatchling): `pip wheel` makes a
 * wheel carrying the prebuilt extension and its install.json; pip-installed into a throwaway venv
 * (the project venv's packages visible through a .pth file, so JupyterLab and Notebook 7 need no
 * download), `jupyter labextension list` shows it enabled and OK, and both JupyterLab and Notebook 7
 * serve it to the browser (their page config lists it, and its remoteEntry loads). The wheel holds
 * the very files scripts/setup-jupyter.mjs copies. That venv's JupyterLab has no jupyterlab_widgets
 * extension (it lies under the project venv's prefix, not this one's): a saved attnlens output draws
 * there and the page logs no error (no "Shared module @jupyter-widgets/base doesn't exist").
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ATTNLENS_MIME as MIME } from "../../widgets/src/mime";
import { launchChromium } from "./browser";
import { type JupyterApp, pageConfig, startJupyterApp } from "./jupyterApp";
import { collectErrors, drawnSize, views } from "./lab";
import { syntheticResult } from "./results";
import { EXTENSION_NAME, ensureBuilt, PYTHON, ROOT, removeTempDirs, tempDir } from "./setup";

const BUILT = path.join(ROOT, "labextension", "attnlens_labextension");

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv) {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Every file under dir, relative to it, sorted. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe("attnlens-jupyter wheel", () => {
  let work: string;
  let wheel: string;
  let venvPython: string;
  let installed: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    ensureBuilt("labextension");
    work = tempDir("wheel");
    run(PYTHON, ["-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", work, "./labextension"]);
    wheel = path.join(work, readdirSync(work).find((f) => f.endsWith(".whl")) ?? "no wheel");
    // A throwaway venv that sees the project venv's packages (jupyterlab, notebook, pip) via a .pth.
    const venv = path.join(work, "venv");
    run("python3", ["-m", "venv", "--without-pip", venv]);
    venvPython = path.join(venv, "bin", "python");
    const site = run(PYTHON, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).trim();
    const ownSite = run(venvPython, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).trim();
    writeFileSync(path.join(ownSite, "project-venv.pth"), `${site}\n`);
    run(venvPython, ["-m", "pip", "install", "-q", "--no-index", "--no-deps", wheel]);
    installed = path.join(venv, "share", "jupyter", "labextensions", ...EXTENSION_NAME.split("/"));
    env = { JUPYTER_DATA_DIR: path.join(work, "data"), JUPYTER_CONFIG_DIR: path.join(work, "config") };
  }, 120_000);

  afterAll(removeTempDirs);

  /** The throwaway venv's app, serving `root`. */
  const startApp = (kind: "lab" | "notebook", root = work) =>
    startJupyterApp(kind, {
      python: venvPython,
      rootDir: root,
      dataDir: env.JUPYTER_DATA_DIR as string,
      configDir: env.JUPYTER_CONFIG_DIR as string,
    });

  it("is named after package.json's version and installs the prebuilt extension with install.json", () => {
    const version = JSON.parse(readFileSync(path.join(ROOT, "labextension", "package.json"), "utf8")).version;
    expect(path.basename(wheel)).toBe(`attnlens_jupyter-${version}-py3-none-any.whl`);
    expect(files(installed)).toEqual([...files(BUILT), "install.json"].sort());
    const install = JSON.parse(readFileSync(path.join(installed, "install.json"), "utf8"));
    expect(install).toMatchObject({ packageManager: "python", packageName: "attnlens-jupyter" });
    const pkg = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8"));
    expect(pkg.jupyterlab._build.load).toBe(
      JSON.parse(readFileSync(path.join(BUILT, "package.json"), "utf8")).jupyterlab._build.load,
    );
  });

  it("`jupyter labextension list` shows it enabled and OK, installed by pip", () => {
    const r = spawnSync(venvPython, ["-m", "jupyterlab.labextensions", "list"], {
      encoding: "utf8",
      env: { ...process.env, ...env, NO_COLOR: "1" },
    });
    // Colour codes come through as ESC [ ... m; drop them to read the words.
    const text = (r.stdout + r.stderr).replaceAll(String.fromCharCode(27), "").replace(/\[[0-9;]*m/g, "");
    expect(text).toMatch(/@attnlens\/labextension v0\.1\.0 enabled OK \(python, attnlens-jupyter\)/);
  });

  for (const kind of ["lab", "notebook"] as const) {
    it(`${kind === "lab" ? "JupyterLab" : "Notebook 7"} serves it to the browser`, async () => {
      let app: JupyterApp | undefined;
      try {
        app = await startApp(kind);
        const config = await pageConfig(app);
        const ext = config.federated_extensions.find((e) => e.name === EXTENSION_NAME);
        expect(ext, JSON.stringify(config.federated_extensions)).toMatchObject({
          extension: "./extension",
          mimeExtension: "./mimeExtension",
        });
        expect(config.disabledExtensions ?? []).not.toContain(EXTENSION_NAME);
        const entry = await fetch(`${app.url}/lab/extensions/${EXTENSION_NAME}/${ext?.load}?token=${app.token}`);
        expect(entry.status).toBe(200);
        expect(await entry.text()).toContain(EXTENSION_NAME);
      } finally {
        await app?.stop();
      }
    }, 120_000);
  }

  it("draws a saved attnlens output in a JupyterLab without jupyterlab_widgets, with no error", async () => {
    ensureBuilt("kernel-lib");
    const attnlens = createRequire(__filename)("attnlens") as typeof import("attnlens");
    const bundle = await attnlens.displayBundle(syntheticResult({ tokens: 6 }), { title: "saved" });
    const root = path.join(work, "root");
    mkdirSync(root, { recursive: true });
    const output = { output_type: "display_data", data: bundle.data, metadata: bundle.metadata };
    // tslab's public display.raw can only send text: the payload as a JSON string draws too.
    const asText = { ...output, data: { ...bundle.data, [MIME]: JSON.stringify(bundle.data[MIME]) } };
    const cell = (n: number, out: unknown) => ({
      cell_type: "code",
      execution_count: n,
      metadata: {},
      source: "",
      outputs: [out],
    });
    const nb = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [cell(1, output), cell(2, asText)] };
    writeFileSync(path.join(root, "saved.ipynb"), JSON.stringify(nb));
    const app = await startApp("lab", root);
    const browser = await launchChromium();
    try {
      const names = (await pageConfig(app)).federated_extensions.map((e) => e.name);
      expect(names).toContain(EXTENSION_NAME);
      expect(names).not.toContain("@jupyter-widgets/jupyterlab-manager");
      const page = await browser.newPage();
      const errors = collectErrors(page);
      await page.goto(`${app.url}/lab/tree/saved.ipynb?token=${app.token}`);
      await views(page).first().waitFor({ timeout: 60_000 });
      await expect.poll(() => views(page).count(), { timeout: 30_000 }).toBe(2);
      for (const view of await views(page).all()) expect((await drawnSize(view)).width).toBeGreaterThan(100);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await app.stop();
    }
  }, 120_000);
});
