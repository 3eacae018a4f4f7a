/**
 * The cross-package tests (test/**) run the builds (kernel-lib/dist, the widget bundle, the
 * prebuilt extension), as users and notebooks do. So that `npx vitest run test/…` never tests old
 * code, this global setup (vitest.config.mts) rebuilds each workspace whose sources are newer than
 * its build, in dependency order; when nothing changed it only compares file times (milliseconds).
 * Building rather than importing sources: the CLI, Jupyter and notebook tests run Node, tslab and
 * browsers on the built files, and the packaging test checks those very files.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..");

export type Workspace = "widgets" | "kernel-lib" | "labextension";

interface BuildRule {
  /** Files and folders (relative to the root) the build reads; tests beside the sources excluded. */
  inputs: string[];
  /** A file every build rewrites: the build is stale when an input is newer. */
  stamp: string;
  /** Further outputs that must exist. */
  outputs: string[];
}

const RULES: Record<Workspace, BuildRule> = {
  widgets: {
    inputs: ["widgets/src", "widgets/bundle.mjs", "widgets/build.mjs", "widgets/package.json", "widgets/tsconfig.json"],
    stamp: "widgets/dist/attnlens-widgets.js",
    outputs: ["widgets/dist/index.js"],
  },
  "kernel-lib": {
    inputs: ["kernel-lib/src", "kernel-lib/package.json", "kernel-lib/tsconfig.json"],
    stamp: "kernel-lib/dist/index.js",
    outputs: [],
  },
  labextension: {
    // it bundles the widgets: their sources count too
    inputs: [
      "labextension/src",
      "labextension/scripts",
      "labextension/package.json",
      "labextension/tsconfig.json",
      "widgets/src",
    ],
    stamp: "labextension/lib/index.js",
    outputs: ["labextension/attnlens_labextension/package.json", "labextension/lib/attnlens-embed.js"],
  },
};

/** Dependency order: kernel-lib and the extension compile against the widgets' types. */
const ORDER: Workspace[] = ["widgets", "kernel-lib", "labextension"];

/** Newest modification time (ms) under `p`, test files left out; 0 when absent. */
function newestInput(p: string): number {
  if (!existsSync(p)) return 0;
  const stat = statSync(p);
  if (!stat.isDirectory()) return /\.test\.tsx?$/.test(p) ? 0 : stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(p)) newest = Math.max(newest, newestInput(path.join(p, entry)));
  return newest;
}

/** Whether `workspace` has no build, or one older than its sources. */
export function isStale(workspace: Workspace, root = ROOT): boolean {
  const rule = RULES[workspace];
  const stamp = path.join(root, rule.stamp);
  if (!existsSync(stamp) || rule.outputs.some((o) => !existsSync(path.join(root, o)))) return true;
  const built = statSync(stamp).mtimeMs;
  return rule.inputs.some((input) => newestInput(path.join(root, input)) > built);
}

/** Builds (npm run build -w) each of `workspaces` that is stale, in dependency order; returns those built. */
export function buildStale(...workspaces: Workspace[]): Workspace[] {
  const built: Workspace[] = [];
  for (const workspace of ORDER) {
    if (!workspaces.includes(workspace) || !isStale(workspace)) continue;
    execFileSync("npm", ["run", "build", "-w", workspace], { cwd: ROOT, stdio: "inherit" });
    built.push(workspace);
  }
  return built;
}

/**
 * vitest globalSetup of the cross-package project: the library and the widgets, which nearly every
 * test there uses. The extension (webpack, slow) is rebuilt by the Jupyter tests that load it
 * (ensureBuilt in jupyter/setup.ts), through the same check.
 */
export default function setup(): void {
  const built = buildStale("widgets", "kernel-lib");
  if (built.length > 0) console.log(`freshBuild: rebuilt ${built.join(", ")} (sources newer than the build)`);
}
