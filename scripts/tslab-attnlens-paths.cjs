/**
 * Preloaded (`node --require`) by the "TypeScript (attnlens)" kernel, before tslab: lets a notebook in
 * ANY folder `import * as attnlens from "attnlens"`.
 *
 * Two resolvers must find the package. Node's `require` at run time honours NODE_PATH, which the
 * kernelspec sets to this checkout's node_modules. tslab's type checker does not: it resolves like
 * TypeScript's Node10 mode, walking up node_modules from the notebook's folder only, so a notebook
 * outside the checkout gets "Cannot find module 'attnlens'". Here tslab's TypeScript is swapped in the
 * module cache for a copy whose watch-compiler host adds `paths` for attnlens' own packages only
 * (attnlens, attnlens/*, @attnlens/*), pointing into ATTNLENS_NODE_MODULES. A user's other imports
 * resolve as before, and a project's own node_modules/attnlens still wins over ours.
 */
"use strict";
const Module = require("node:module");
const path = require("node:path");

const nodeModules = process.env.ATTNLENS_NODE_MODULES || path.resolve(__dirname, "..", "node_modules");
const tslabDir = path.dirname(require.resolve("tslab/package.json", { paths: [nodeModules] }));
const tsPath = require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] });
const ts = require(tsPath);

const ATTNLENS_PATHS = {
  attnlens: [path.join(nodeModules, "attnlens")],
  "attnlens/*": [path.join(nodeModules, "attnlens", "*")],
  "@attnlens/*": [path.join(nodeModules, "@attnlens", "*")],
};

/** True when Node10 resolution from `dir` already reaches an attnlens package (a project's own). */
function projectHasAttnlens(dir) {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (ts.sys.fileExists(path.join(d, "node_modules", "attnlens", "package.json"))) return true;
    if (path.dirname(d) === d) return false;
  }
}

// The typescript module's exports are getters that cannot be redefined: hand tslab a copy instead.
const patched = {};
for (const key of Object.keys(ts)) {
  if (key !== "createWatchCompilerHost") Object.defineProperty(patched, key, { get: () => ts[key], enumerable: true });
}
Object.defineProperty(patched, "createWatchCompilerHost", {
  enumerable: true,
  value(rootFiles, options, ...rest) {
    if (Array.isArray(rootFiles) && options && !options.paths && !projectHasAttnlens(options.rootDir || ".")) {
      options = { ...options, paths: ATTNLENS_PATHS };
    }
    return ts.createWatchCompilerHost(rootFiles, options, ...rest);
  },
});
const cached = new Module(tsPath, module);
cached.filename = tsPath;
cached.loaded = true;
cached.exports = patched;
require.cache[tsPath] = cached;
