/**
 * The API reference in docs/api is generated from the TSDoc comments (`npm run docs:api`, TypeDoc
 * with typedoc.json). It must be complete (every public name documented, no broken link: TypeDoc's
 * validation, warnings as errors), current (a fresh generation equals the committed files), and the
 * READMEs' links into it must resolve.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokenLinks } from "./markdownLinks";

const ROOT = path.resolve(__dirname, "..", "..");
const COMMITTED = path.join(ROOT, "docs", "api");
const TYPEDOC = path.join(ROOT, "node_modules", "typedoc", "bin", "typedoc");

/** Every file under `dir`, as sorted paths relative to it (with `/`). */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)).split(path.sep).join("/"))
    .sort();
}

describe("API reference (docs/api)", () => {
  const fresh = mkdtempSync(path.join(tmpdir(), "attnlens-api-"));
  let run: { status: number | null; output: string };
  beforeAll(() => {
    const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" };
    const r = spawnSync(process.execPath, [TYPEDOC, "--out", fresh], { cwd: ROOT, encoding: "utf8", env });
    run = { status: r.status, output: `${r.stdout}${r.stderr}` };
  }, 120_000);
  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it("generates without warnings: every public name documented, every {@link} resolved", () => {
    expect(run.status, `TypeDoc failed (write the missing TSDoc comments):\n${run.output}`).toBe(0);
  });

  it("is committed as generated (run `npm run docs:api` and commit docs/api when this fails)", () => {
    const want = filesUnder(fresh);
    expect(filesUnder(COMMITTED), "docs/api is stale: run `npm run docs:api` and commit docs/api").toEqual(want);
    for (const file of want) {
      const stale = `docs/api/${file} is stale: run \`npm run docs:api\` and commit docs/api`;
      expect(readFileSync(path.join(COMMITTED, file), "utf8"), stale).toBe(
        readFileSync(path.join(fresh, file), "utf8"),
      );
    }
  });

  it("has no broken relative links, nor do the READMEs that point into it", () => {
    const files = [
      ...filesUnder(COMMITTED)
        .filter((f) => f.endsWith(".md"))
        .map((f) => path.join(COMMITTED, f)),
      path.join(ROOT, "README.md"),
      path.join(ROOT, "kernel-lib", "README.md"),
    ];
    expect(files.flatMap((f) => brokenLinks(f)).map((l) => path.relative(ROOT, l))).toEqual([]);
  });
});
