// Builds the native metric kernel (metrics_addon.c, which includes ../wasm/metrics_kernel.c) into
// native/build/attnlens_metrics.node with the machine's C compiler. Part of `npm run build`:
//
//   node kernel-lib/native/build.mjs            (CC picks the compiler; default cc, gcc or clang)
//
// The addon is optional. Where it cannot be built (no compiler, no Node-API headers, a platform
// other than Linux or macOS) this prints why and exits 0: the metric pass then runs the
// WebAssembly kernel, with the same results. `--require` makes that a failure instead.
//
// A build is skipped when the sources, flags and compiler are those of the last one (build/stamp.json).
// The addon is written under another name and renamed over the old one, so a process that has the
// old one loaded keeps a whole file.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ADDON = path.join(here, "build", "attnlens_metrics.node");
const STAMP = path.join(here, "build", "stamp.json");
const SOURCES = [
  path.join(here, "metrics_addon.c"),
  path.join(here, "include", "wasm_simd128.h"),
  path.join(here, "wide_sums.h"),
  path.join(here, "row_metrics.h"),
  path.join(here, "sample_scan.h"),
  path.join(here, "pool.h"),
  path.join(here, "..", "wasm", "metrics_kernel.c"),
];

/**
 * No fused multiply-add (-ffp-contract=off): every operation rounds as WebAssembly's does, so the
 * results are the WebAssembly kernel's to the bit. No -march: the addon may run on another machine
 * than the one that built it (a container image), and the kernel's 128-bit vectors need nothing
 * beyond the baseline instruction set.
 */
export const FLAGS = [
  "-O3",
  "-std=gnu11",
  "-fPIC",
  "-shared",
  "-pthread",
  "-ffp-contract=off",
  "-fno-strict-aliasing",
  "-fvisibility=hidden",
  "-Wall",
  "-Wextra",
  "-Wno-unknown-pragmas",
];

/** The first compiler of CC, cc, gcc, clang that answers --version: [command, its first line]. */
function compiler() {
  for (const cc of [process.env.CC, "cc", "gcc", "clang"]) {
    if (!cc) continue;
    try {
      const version = execFileSync(cc, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      return [cc, version.split("\n")[0].trim()];
    } catch {
      // not this one
    }
  }
  return null;
}

/** A folder holding node_api.h: Node's own headers next to its binary, else the node-api-headers package. */
function nodeApiHeaders() {
  const candidates = [path.join(path.dirname(process.execPath), "..", "include", "node")];
  try {
    const require = createRequire(import.meta.url);
    candidates.push(path.join(path.dirname(require.resolve("node-api-headers/package.json")), "include"));
  } catch {
    // not installed
  }
  return candidates.find((dir) => existsSync(path.join(dir, "node_api.h"))) ?? null;
}

function platformFlags() {
  if (process.platform === "linux") return [];
  // Node-API's symbols come from the node binary that loads the addon
  if (process.platform === "darwin") return ["-undefined", "dynamic_lookup"];
  return null;
}

/** Builds the addon when its inputs changed; returns {built, path} or {skipped: reason}. */
export function buildNative({ force = false } = {}) {
  const extra = platformFlags();
  if (!extra) return { skipped: `no native build for ${process.platform}` };
  const cc = compiler();
  if (!cc) return { skipped: "no C compiler (cc, gcc or clang; CC names another)" };
  const headers = nodeApiHeaders();
  if (!headers) return { skipped: "no Node-API headers (node_api.h) next to node or in node-api-headers" };
  const flags = [...FLAGS, ...extra, `-I${path.join(here, "include")}`, `-I${headers}`];
  const hash = createHash("sha256");
  for (const file of SOURCES) hash.update(readFileSync(file));
  hash.update(cc.join("\n")).update(flags.join(" "));
  const stamp = hash.digest("hex");
  if (!force && existsSync(ADDON) && existsSync(STAMP) && JSON.parse(readFileSync(STAMP, "utf8")).stamp === stamp) {
    return { built: false, path: ADDON };
  }
  mkdirSync(path.dirname(ADDON), { recursive: true });
  const partial = path.join(path.dirname(ADDON), `attnlens_metrics.${process.pid}.tmp.node`);
  try {
    execFileSync(cc[0], [...flags, "-o", partial, SOURCES[0]], { stdio: ["ignore", "pipe", "pipe"] });
    // a build that does not load (a foreign toolchain, a missing symbol) must not replace a good one
    execFileSync(
      process.execPath,
      ["-e", `if (typeof require(${JSON.stringify(partial)}).submit !== "function") process.exit(1)`],
      {
        stdio: "pipe",
      },
    );
    renameSync(partial, ADDON);
  } catch (e) {
    rmSync(partial, { force: true });
    const detail = e.stderr?.toString().trim().split("\n").slice(0, 3).join(" / ") || e.message;
    return { skipped: `${cc[0]} failed: ${detail}` };
  }
  writeFileSync(STAMP, `${JSON.stringify({ stamp, compiler: cc[1] }, null, 2)}\n`);
  return { built: true, path: ADDON };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = buildNative({ force: process.argv.includes("--force") });
  if (result.skipped) {
    console.error(
      `attnlens: native metric kernel not built (${result.skipped}); the WebAssembly kernel serves instead`,
    );
    process.exit(process.argv.includes("--require") ? 1 : 0);
  }
  if (result.built) console.log(`wrote ${path.relative(process.cwd(), result.path)}`);
}
