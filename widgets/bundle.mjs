/**
 * The browser bundle: src/index.ts with vega, vega-lite and vega-embed inlined into one IIFE that
 * defines the global `attnlensWidgets` (render, ATTNLENS_MIME, the decoder and the spec builders).
 * No CDN, no network, no eval (expressions go through vega-interpreter): it works from file://.
 */

import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const ENTRY = fileURLToPath(new URL("./src/index.ts", import.meta.url));
export const OUTFILE = fileURLToPath(new URL("./dist/attnlens-widgets.js", import.meta.url));

/** Builds the bundle to `outfile` and returns esbuild's result (with the metafile). */
export function bundle(outfile = OUTFILE, minify = true) {
  return build({
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    format: "iife",
    globalName: "attnlensWidgets",
    platform: "browser",
    target: ["es2020"],
    minify,
    sourcemap: false,
    legalComments: "eof",
    metafile: true,
    logLevel: "warning",
    define: { "process.env.NODE_ENV": '"production"' },
  });
}
