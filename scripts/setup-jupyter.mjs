#!/usr/bin/env node
/**
 * Sets up Jupyter for attnlens, idempotently:
 *   1. installs the prebuilt JupyterLab extension (labextension/attnlens_labextension, made by
 *      `npm run build`) into <data dir>/labextensions/@attnlens/labextension/;
 *   2. registers the tslab kernel (`tslab install`), pointing at this checkout's node_modules/.bin/tslab;
 *   3. registers the "TypeScript (attnlens)" kernel (kernels/attnlens): tslab with comms, so
 *      `attnlens.widget` views are live (kernel-lib/bin/attnlens-kernel.js starts tslab's kernel
 *      in-process), started so that a notebook in any folder can `import * as attnlens from "attnlens"`
 *      (NODE_PATH for Node's require, scripts/tslab-attnlens-paths.cjs for tslab's type checker).
 *
 * The data directory is --data-dir, else $JUPYTER_DATA_DIR, else what Jupyter itself reports
 * (`jupyter_core.paths.jupyter_data_dir()`, usually ~/.local/share/jupyter).
 *
 * Usage: node scripts/setup-jupyter.mjs [--data-dir DIR] [--python .venv/bin/python]
 *                                       [--no-extension] [--no-kernel] [--quiet]
 * Also importable: `import { setupJupyter } from "./scripts/setup-jupyter.mjs"` (the tests do).
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const EXTENSION_NAME = "@attnlens/labextension";
const BUILT_EXTENSION = path.join(ROOT, "labextension", "attnlens_labextension");
const KERNEL_NAME = "tslab";
const ATTNLENS_KERNEL_NAME = "attnlens";
const NODE_MODULES = path.join(ROOT, "node_modules");

/**
 * The Python whose Jupyter to set up: $ATTNLENS_PYTHON, else the project's venv
 * (scripts/python-env.sh), else `python3` on PATH (a user's own environment with jupyter_core).
 */
export function defaultPython() {
  if (process.env.ATTNLENS_PYTHON) return process.env.ATTNLENS_PYTHON;
  const venv = path.join(ROOT, ".venv", "bin", "python");
  return existsSync(venv) ? venv : "python3";
}

export function jupyterDataDir(python = defaultPython(), env = process.env) {
  if (env.JUPYTER_DATA_DIR) return path.resolve(env.JUPYTER_DATA_DIR);
  const r = spawnSync(python, ["-c", "from jupyter_core.paths import jupyter_data_dir; print(jupyter_data_dir())"], {
    encoding: "utf8",
    env,
  });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr ?? "").trim();
    throw new Error(`cannot ask ${python} for the Jupyter data directory (is jupyter_core installed there?): ${why}`);
  }
  return r.stdout.trim();
}

/**
 * Copies the prebuilt extension into place unless the same build is already there.
 * Returns "installed" or "up to date".
 */
export function installExtension(dataDir) {
  const built = path.join(BUILT_EXTENSION, "package.json");
  if (!existsSync(built)) {
    throw new Error(
      `the extension is not built (${path.relative(ROOT, built)} is missing); run \`npm run build\` first`,
    );
  }
  const target = path.join(dataDir, "labextensions", ...EXTENSION_NAME.split("/"));
  if (sameBuild(built, path.join(target, "package.json"))) return "up to date";
  // Copy next to the target, then swap, so a running server never sees half an extension.
  const staging = `${target}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(path.dirname(target), { recursive: true });
  cpSync(BUILT_EXTENSION, staging, { recursive: true });
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  return "installed";
}

function sameBuild(a, b) {
  try {
    const load = (f) => JSON.parse(readFileSync(f, "utf8")).jupyterlab?._build?.load;
    const la = load(a);
    return Boolean(la) && la === load(b) && existsSync(path.join(path.dirname(b), la));
  } catch {
    return false;
  }
}

/** The kernelspec `tslab install` writes, with an absolute path to this checkout's tslab. */
export function kernelSpec() {
  return {
    argv: [path.join(ROOT, "node_modules", ".bin", "tslab"), "kernel", "--config-path", "{connection_file}"],
    display_name: "TypeScript",
    language: "typescript",
  };
}

/**
 * Registers the tslab kernel in <dataDir>/kernels/tslab. Runs `tslab install --user` (with
 * JUPYTER_DATA_DIR set, so "user" means dataDir); tslab's installer needs IPython, which a bare
 * jupyter_client does not bring, so when it fails the same kernel.json is written directly.
 * Returns "registered", "registered (kernel.json written directly)" or "up to date".
 */
export function registerKernel(dataDir, python = defaultPython()) {
  const spec = kernelSpec();
  const file = path.join(dataDir, "kernels", KERNEL_NAME, "kernel.json");
  if (existsSync(file) && sameSpec(file, spec)) return "up to date";
  const binary = spec.argv[0];
  if (!existsSync(binary)) throw new Error(`${binary} is missing; run \`npm install\` in ${ROOT}`);
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, "node_modules", "tslab", "bin", "tslab"),
      "install",
      `--python=${python}`,
      `--binary=${binary}`,
      "--user",
    ],
    { encoding: "utf8", env: { ...process.env, JUPYTER_DATA_DIR: dataDir } },
  );
  if (r.status === 0 && existsSync(file) && sameSpec(file, spec)) return "registered";
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(spec, null, 1)}\n`);
  return "registered (kernel.json written directly)";
}

function sameSpec(file, spec) {
  try {
    const have = JSON.parse(readFileSync(file, "utf8"));
    return (
      JSON.stringify(have.argv) === JSON.stringify(spec.argv) &&
      have.language === spec.language &&
      JSON.stringify(have.env ?? {}) === JSON.stringify(spec.env ?? {})
    );
  } catch {
    return false;
  }
}

/**
 * The "TypeScript (attnlens)" kernelspec: tslab from this checkout with comms (live widgets), with
 * attnlens importable from a notebook in any folder (the kernel's working directory is the notebook's folder).
 */
export function attnlensKernelSpec() {
  return {
    argv: [
      process.execPath,
      "--require",
      path.join(ROOT, "scripts", "tslab-attnlens-paths.cjs"),
      path.join(ROOT, "kernel-lib", "bin", "attnlens-kernel.js"),
      "--config-path",
      "{connection_file}",
    ],
    display_name: "TypeScript (attnlens)",
    language: "typescript",
    env: { NODE_PATH: NODE_MODULES, ATTNLENS_NODE_MODULES: NODE_MODULES },
    metadata: { attnlens: { checkout: ROOT } },
  };
}

/** Writes <dataDir>/kernels/attnlens/kernel.json. Returns "registered" or "up to date". */
export function registerAttnlensKernel(dataDir) {
  const spec = attnlensKernelSpec();
  const dir = path.join(dataDir, "kernels", ATTNLENS_KERNEL_NAME);
  const file = path.join(dir, "kernel.json");
  if (existsSync(file) && sameSpec(file, spec)) return "up to date";
  if (!existsSync(spec.argv[3])) throw new Error(`${spec.argv[3]} is missing; run \`npm install\` in ${ROOT}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(spec, null, 1)}\n`);
  return "registered";
}

export function setupJupyter({ dataDir, python = defaultPython(), extension = true, kernel = true } = {}) {
  const dir = dataDir ? path.resolve(dataDir) : jupyterDataDir(python);
  const done = { dataDir: dir };
  if (extension) done.extension = installExtension(dir);
  if (kernel) {
    done.kernel = registerKernel(dir, python);
    done.attnlensKernel = registerAttnlensKernel(dir);
  }
  return done;
}

function main(argv) {
  const opt = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (argv.includes("-h") || argv.includes("--help")) {
    process.stdout.write(
      "usage: node scripts/setup-jupyter.mjs [--data-dir DIR] [--python PY] [--no-extension] [--no-kernel] [--quiet]\n",
    );
    return 0;
  }
  try {
    const done = setupJupyter({
      dataDir: opt("--data-dir"),
      python: opt("--python") ?? defaultPython(),
      extension: !argv.includes("--no-extension"),
      kernel: !argv.includes("--no-kernel"),
    });
    if (!argv.includes("--quiet")) {
      process.stdout.write(`Jupyter data directory: ${done.dataDir}\n`);
      if (done.extension) process.stdout.write(`  extension ${EXTENSION_NAME}: ${done.extension}\n`);
      if (done.kernel) process.stdout.write(`  kernel ${KERNEL_NAME}: ${done.kernel}\n`);
      if (done.attnlensKernel) process.stdout.write(`  kernel ${ATTNLENS_KERNEL_NAME}: ${done.attnlensKernel}\n`);
    }
    return 0;
  } catch (e) {
    process.stderr.write(`setup-jupyter: error: ${e.message}\n`);
    return 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
