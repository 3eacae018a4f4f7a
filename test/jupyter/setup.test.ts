/**
 * scripts/setup-jupyter.mjs: installs the prebuilt extension and registers the tslab and
 * "TypeScript (attnlens)" kernels into a Jupyter data directory, and running it again changes
 * nothing. A notebook saved outside the repository imports attnlens on the attnlens kernel
 * (executed by nbclient), where plain tslab cannot find the module.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, PYTHON, ROOT, removeTempDirs, tempDir } from "./setup";

const SCRIPT = path.join(ROOT, "scripts", "setup-jupyter.mjs");
const RUNNER = path.join(ROOT, "test", "jupyter", "run_notebook.py");

function setup(dataDir: string, ...args: string[]) {
  return spawnSync(process.execPath, [SCRIPT, "--data-dir", dataDir, "--python", PYTHON, ...args], {
    encoding: "utf8",
  });
}

describe("scripts/setup-jupyter.mjs", () => {
  let dataDir: string;
  let first: ReturnType<typeof setup>;

  beforeAll(() => {
    ensureBuilt("labextension");
    dataDir = path.join(tempDir("setup"), "data");
    first = setup(dataDir);
  }, 60_000);

  afterAll(removeTempDirs);

  it("installs the prebuilt extension under labextensions/@attnlens/labextension", () => {
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/extension @attnlens\/labextension: installed/);
    const dir = path.join(dataDir, "labextensions", "@attnlens", "labextension");
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    expect(pkg.name).toBe("@attnlens/labextension");
    expect(pkg.jupyterlab._build).toMatchObject({ mimeExtension: "./mimeExtension", extension: "./extension" });
    expect(existsSync(path.join(dir, pkg.jupyterlab._build.load))).toBe(true);
  });

  it("registers the tslab kernel with this checkout's binary, visible to jupyter_client", () => {
    expect(first.stdout).toMatch(/kernel tslab: registered/);
    const spec = JSON.parse(readFileSync(path.join(dataDir, "kernels", "tslab", "kernel.json"), "utf8"));
    expect(spec.argv).toEqual([
      path.join(ROOT, "node_modules", ".bin", "tslab"),
      "kernel",
      "--config-path",
      "{connection_file}",
    ]);
    expect(spec.language).toBe("typescript");
    const list = spawnSync(PYTHON, ["-m", "jupyter", "kernelspec", "list", "--json"], {
      encoding: "utf8",
      env: { ...process.env, JUPYTER_DATA_DIR: dataDir },
    });
    expect(Object.keys(JSON.parse(list.stdout).kernelspecs)).toContain("tslab");
  });

  it('registers "TypeScript (attnlens)": this checkout\'s tslab with comms, attnlens resolvable from anywhere', () => {
    expect(first.stdout).toMatch(/kernel attnlens: registered/);
    const list = spawnSync(PYTHON, ["-m", "jupyter", "kernelspec", "list", "--json"], {
      encoding: "utf8",
      env: { ...process.env, JUPYTER_DATA_DIR: dataDir },
    });
    const spec = JSON.parse(list.stdout).kernelspecs.attnlens?.spec;
    expect(spec?.display_name).toBe("TypeScript (attnlens)");
    // The comm-capable launcher, which starts this checkout's tslab in-process (kernel-lib/src/kernel).
    expect(spec.argv).toContain(path.join(ROOT, "kernel-lib", "bin", "attnlens-kernel.js"));
    expect(spec.env.NODE_PATH).toBe(path.join(ROOT, "node_modules"));
  });

  it("lets a notebook outside the repository import attnlens (nbclient, attnlens kernel)", () => {
    const dir = path.join(tempDir("anywhere"), "my notebooks");
    mkdirSync(dir, { recursive: true });
    const cell = (source: string) => ({ cell_type: "code", metadata: {}, execution_count: null, outputs: [], source });
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        cell('import * as attnlens from "attnlens";\nimport { seededRandom } from "attnlens/testing";'),
        cell(
          "const n: number = seededRandom(1)();\nconsole.log(typeof attnlens.openModel, n >= 0 && n < 1, process.cwd());",
        ),
      ],
    };
    const src = path.join(dir, "mine.ipynb");
    writeFileSync(src, JSON.stringify(nb));
    const execute = (kernel: string) => {
      const out = path.join(dir, `out-${kernel}.ipynb`);
      const r = spawnSync(PYTHON, [RUNNER, src, out, "--kernel", kernel, "--cwd", dir], {
        encoding: "utf8",
        env: { ...process.env, JUPYTER_DATA_DIR: dataDir },
        timeout: 120_000,
      });
      return { report: JSON.parse(r.stdout.trim().split("\n").pop() || "{}"), out, stderr: r.stderr };
    };
    const ok = execute("attnlens");
    expect(ok.report.ok, `${ok.report.error}\n${ok.stderr}`).toBe(true);
    const printed = readFileSync(ok.out, "utf8");
    expect(printed).toContain(`function true ${dir}`);
    // The same notebook on plain tslab: TypeScript cannot see the checkout's node_modules from there.
    const plain = execute("tslab");
    expect(plain.report.ok).toBe(false);
    expect(plain.report.error).toMatch(/Cannot find module 'attnlens'/);
  }, 120_000);

  it("is idempotent: a second run changes nothing", () => {
    const kernelJson = path.join(dataDir, "kernels", "tslab", "kernel.json");
    const before = statSync(kernelJson).mtimeMs;
    const again = setup(dataDir);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/extension @attnlens\/labextension: up to date/);
    expect(again.stdout).toMatch(/kernel tslab: up to date/);
    expect(again.stdout).toMatch(/kernel attnlens: up to date/);
    expect(statSync(kernelJson).mtimeMs).toBe(before);
  });

  it("takes the data directory from JUPYTER_DATA_DIR, and says what is wrong on failure", () => {
    const other = path.join(tempDir("setup-env"), "data");
    const r = spawnSync(process.execPath, [SCRIPT, "--no-extension", "--python", PYTHON], {
      encoding: "utf8",
      env: { ...process.env, JUPYTER_DATA_DIR: other },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Jupyter data directory: ${other}`);
    expect(existsSync(path.join(other, "kernels", "tslab", "kernel.json"))).toBe(true);
    const bad = spawnSync(process.execPath, [SCRIPT, "--no-extension", "--python", "/nonexistent/python"], {
      encoding: "utf8",
      env: { ...process.env, JUPYTER_DATA_DIR: "" },
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^setup-jupyter: error: cannot ask \/nonexistent\/python/);
  });
});
