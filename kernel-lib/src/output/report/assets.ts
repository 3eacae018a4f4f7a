/**
 * Browser code the report inlines, found where npm put it: the widgets' self-contained bundle
 * (`@attnlens/widgets/dist/attnlens-widgets.js`, global `attnlensWidgets`) and, for widget-state
 * pages, the labextension's html-manager embed bundle (`@attnlens/labextension/lib/attnlens-embed.js`).
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { AttnlensError } from "../../errors";

function packageFile(pkg: string, rel: string, buildHint: string): string {
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new AttnlensError(
      "BAD_INPUT",
      `cannot find the package ${pkg}; install it next to attnlens (npm install ${pkg})`,
    );
  }
  const file = path.join(dir, rel);
  if (!existsSync(file)) {
    throw new AttnlensError("BAD_INPUT", `${pkg} has no ${rel}; ${buildHint}`);
  }
  return file;
}

const cache = new Map<string, string>();

function read(file: string): string {
  let text = cache.get(file);
  if (text === undefined) {
    text = readFileSync(file, "utf8");
    cache.set(file, text);
  }
  return text;
}

/** The widgets bundle's source text. */
export function widgetsBundle(): string {
  return read(
    packageFile(
      "@attnlens/widgets",
      "dist/attnlens-widgets.js",
      "build it with `npm run build` in the attnlens repository (it makes the browser bundle)",
    ),
  );
}

/** The html-manager embed bundle's source text (for widget-state pages). */
export function embedBundle(): string {
  return read(
    packageFile(
      "@attnlens/labextension",
      "lib/attnlens-embed.js",
      "build it with `npm run build` in the attnlens repository (labextension/scripts/build-labextension.mjs)",
    ),
  );
}
