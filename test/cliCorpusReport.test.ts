/**
 * `attnlens report --corpus DIR` as a user runs it (built CLI, child process) on directories that
 * are wrong: exit 1 with one line naming the problem for a bad directory, exit 2 with the usage for
 * bad flags. (The report itself is opened in Chromium by test/browser/corpusReport.test.ts.)
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attnlens } from "./cliRunner";

const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-corpus-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function dirWith(name: string, summary?: unknown): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  if (summary !== undefined) writeFileSync(path.join(dir, "summary.json"), JSON.stringify(summary));
  return dir;
}

describe("attnlens report --corpus on wrong input", () => {
  it("a directory without summary.json: exit 1, says which command makes one", () => {
    const dir = dirWith("empty");
    const out = path.join(tmp, "r.html");
    const r = attnlens("report", "--corpus", dir, "-o", out);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `attnlens report: error: ${dir} has no summary.json; run \`attnlens corpus MODEL DATA --out ${dir}\` first\n`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("a summary with markup where a number belongs: exit 1, names the field", () => {
    const dir = dirWith("hostile", {
      version: 1,
      inputs: 1,
      skipped: 0,
      sites: [
        { stack: "encoder", kind: "self", layer: 0, heads: [{ head: 0, entropy: { n: 1, mean: "<img src=x>" } }] },
      ],
    });
    const r = attnlens("report", "--corpus", dir, "-o", path.join(tmp, "h.html"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("summary.json: sites[0].heads[0].entropy.mean is not a number");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("flags of extraction reports, or a bad --per-head: exit 2 with the usage", () => {
    const dir = dirWith("flags");
    for (const [flag, value, message] of [
      ["--max-tokens", "4", "--max-tokens is for extraction reports, not with --corpus"],
      ["--per-head", "x", "--per-head must be an integer from 0 to 1000"],
      ["--clusters", "0", "--clusters must be an integer from 1 to 1000"],
    ]) {
      const r = attnlens("report", "--corpus", dir, "-o", path.join(tmp, "f.html"), flag, value);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`attnlens report: error: ${message}\n`);
      expect(r.stderr).toContain("attnlens report --corpus DIR -o REPORT.html");
    }
  });
});
