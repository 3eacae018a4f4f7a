#!/usr/bin/env node
/**
 * Builds the prebuilt JupyterLab extension (attnlens_labextension/) and the widget-embed bundle
 * (lib/attnlens-embed.js), after `tsc` has written lib/.
 *
 * `build-labextension` needs `--core-path`: a directory whose package.json is JupyterLab's core data
 * (dependencies, resolutions, jupyterlab.singletonPackages). The Python JupyterLab package ships it;
 * here it comes from `@jupyterlab/core-meta` (its core.package.json), copied to .core/package.json.
 *
 * Skips a step whose inputs have not changed since it last ran (content hashes kept in .core/), so
 * running the build again is cheap.
 * Usage: node scripts/build-labextension.mjs [--force] [--development]
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgDir = path.resolve(here, "..");
const require = createRequire(path.join(pkgDir, "package.json"));
const pkg = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8"));
const outDir = path.join(pkgDir, pkg.jupyterlab.outputDir);
const force = process.argv.includes("--force");
const development = process.argv.includes("--development");

/** SHA-256 over the files under the given paths (recursively, sorted), skipping `exclude`. */
function contentHash(paths, exclude = () => false) {
  const hash = createHash("sha256");
  const visit = (p) => {
    if (!existsSync(p) || exclude(p)) return;
    if (statSync(p).isDirectory()) {
      for (const e of readdirSync(p).sort()) visit(path.join(p, e));
      return;
    }
    hash.update(path.relative(pkgDir, p));
    hash.update(readFileSync(p));
  };
  paths.forEach(visit);
  return hash.digest("hex");
}

/** Whether `stamp` records `hash` (the inputs of an output that still exists). */
function upToDate(stamp, hash, output) {
  return !force && existsSync(output) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash;
}

function corePath() {
  const dir = path.join(pkgDir, ".core");
  mkdirSync(dir, { recursive: true });
  const src = require.resolve("@jupyterlab/core-meta/core.package.json");
  copyFileSync(src, path.join(dir, "package.json"));
  return dir;
}

function widgetsDist() {
  return path.join(path.dirname(require.resolve("@attnlens/widgets/package.json")), "dist");
}

const libIndex = path.join(pkgDir, "lib", "index.js");
if (!existsSync(libIndex)) {
  console.error("build-labextension: lib/ is missing; run `tsc -p labextension` first (npm run build does)");
  process.exit(2);
}
const stamps = path.join(pkgDir, ".core");
mkdirSync(stamps, { recursive: true });
const embedOut = path.join(pkgDir, "lib", "attnlens-embed.js");
const isEmbed = (p) => p === embedOut || p.endsWith(".map") || p.endsWith(".d.ts");

const extHash = contentHash([path.join(pkgDir, "lib"), path.join(pkgDir, "package.json"), widgetsDist()], isEmbed);
const extStamp = path.join(stamps, "extension.sha256");
if (upToDate(extStamp, extHash, path.join(outDir, "package.json")) && hasBuildInfo(path.join(outDir, "package.json"))) {
  console.log("build-labextension: prebuilt extension is up to date");
} else {
  const builder = path.join(
    path.dirname(require.resolve("@jupyterlab/builder/package.json")),
    "lib",
    "build-labextension.js",
  );
  const args = [builder, "--core-path", corePath(), ...(development ? ["--development"] : []), pkgDir];
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: pkgDir, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    console.error("build-labextension: webpack build failed");
    process.exit(1);
  }
  writeFileSync(extStamp, extHash);
  console.log(`build-labextension: ${path.relative(process.cwd(), outDir)} built in ${Date.now() - t0} ms`);
}

const embedHash = contentHash([path.join(pkgDir, "lib"), widgetsDist()], isEmbed);
const embedStamp = path.join(stamps, "embed.sha256");
if (upToDate(embedStamp, embedHash, embedOut)) {
  console.log("build-labextension: lib/attnlens-embed.js is up to date");
} else {
  const esbuild = await import("esbuild");
  await esbuild.build({
    entryPoints: [path.join(pkgDir, "lib", "embed.js")],
    outfile: embedOut,
    bundle: true,
    format: "iife",
    globalName: "attnlensEmbed",
    platform: "browser",
    target: "es2020",
    minify: !development,
    legalComments: "none",
    // html-manager pulls in widget-control styles and icon fonts; attnlens views need none of them.
    loader: { ".css": "empty", ".woff": "empty", ".woff2": "empty", ".ttf": "empty", ".eot": "empty", ".svg": "text" },
    define: { "process.env.NODE_ENV": '"production"' },
    // html-manager's libembed assigns webpack's public path (a webpack-only free variable).
    banner: { js: 'var __webpack_public_path__ = "";' },
    logLevel: "warning",
  });
  writeFileSync(embedStamp, embedHash);
  console.log(`build-labextension: ${path.relative(process.cwd(), embedOut)} bundled`);
}

function hasBuildInfo(file) {
  try {
    return Boolean(JSON.parse(readFileSync(file, "utf8")).jupyterlab?._build?.load);
  } catch {
    return false;
  }
}
