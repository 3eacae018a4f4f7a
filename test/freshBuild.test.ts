/** When the global setup (freshBuild.ts) rebuilds: a missing build, or sources newer than it; tests beside the sources do not count. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isStale } from "./freshBuild";

let root = "";
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Writes `file` under root with modification time `seconds` (since the epoch). */
function file(name: string, seconds: number): void {
  const p = path.join(root, name);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, "");
  utimesSync(p, seconds, seconds);
}

describe("isStale", () => {
  it("is stale without a build, fresh after one, stale again when a source changes", () => {
    root = mkdtempSync(path.join(tmpdir(), "attnlens-fresh-"));
    file("kernel-lib/src/deep/a.ts", 1000);
    file("kernel-lib/package.json", 1000);
    expect(isStale("kernel-lib", root)).toBe(true);
    file("kernel-lib/dist/index.js", 2000);
    expect(isStale("kernel-lib", root)).toBe(false);
    file("kernel-lib/src/deep/a.test.ts", 3000); // a test is not an input of the build
    expect(isStale("kernel-lib", root)).toBe(false);
    file("kernel-lib/src/deep/a.ts", 3000);
    expect(isStale("kernel-lib", root)).toBe(true);
  });

  it("counts the widgets' sources for the extension, which bundles them, and needs all its outputs", () => {
    root = mkdtempSync(path.join(tmpdir(), "attnlens-fresh-"));
    file("labextension/src/index.ts", 1000);
    file("widgets/src/index.ts", 1000);
    file("labextension/lib/index.js", 2000);
    file("labextension/lib/attnlens-embed.js", 2000);
    expect(isStale("labextension", root)).toBe(true); // no attnlens_labextension/ yet
    file("labextension/attnlens_labextension/package.json", 2000);
    expect(isStale("labextension", root)).toBe(false);
    file("widgets/src/index.ts", 3000);
    expect(isStale("labextension", root)).toBe(true);
  });
});
