/** The fixture loader's own checks: every fixture directory is complete, and an incomplete one is named. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fixtureNames } from "./fixtureFiles";

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function tree(dirs: Record<string, string[]>): string {
  root = mkdtempSync(path.join(tmpdir(), "attnlens-fixtures-"));
  for (const [dir, files] of Object.entries(dirs)) {
    mkdirSync(path.join(root, dir), { recursive: true });
    for (const f of files) writeFileSync(path.join(root, dir, f), "");
  }
  writeFileSync(path.join(root, "README.md"), "");
  return root;
}

describe("fixtureNames", () => {
  it("lists the complete fixture directories, sorted, and skips directories that hold none of a fixture's files", () => {
    const all = ["model.onnx", "feeds.json", "expected.json"];
    expect(fixtureNames(tree({ b: all, a: all, real: ["README.md"] }))).toEqual(["a", "b"]);
  });

  it("fails naming the directory and the file when expected.json is missing", () => {
    const dir = tree({ ok: ["model.onnx", "feeds.json", "expected.json"], broken: ["model.onnx", "feeds.json"] });
    expect(() => fixtureNames(dir)).toThrow(`fixture ${path.join(dir, "broken")} lacks expected.json`);
  });

  it("finds the committed fixtures, all complete", () => {
    expect(fixtureNames()).toEqual(expect.arrayContaining(["bert_like", "gpt2_like", "t5_like", "bart_like"]));
  });
});
