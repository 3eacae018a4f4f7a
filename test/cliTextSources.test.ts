/**
 * Texts from files and stdin (`--text-file`, `--pair-file`, `--target-file`, `--text -`), and the
 * refusal of a command line long enough to crash onnxruntime: one line and exit code 2, never a
 * signal.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_ARGV_BYTES } from "../kernel-lib/src/cli/argvGuard";
import { readExtraction } from "../kernel-lib/src/output/files/extractionDir";
import { expectSitesMatch, real, reference } from "../kernel-lib/test/realFixtures";
import { attnlens, attnlensWithStdin } from "./cliRunner";

const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-cli-sources-"));
let count = 0;
const outDir = () => path.join(tmp, `out${count++}`);
const tokensJson = (dir: string) => JSON.parse(readFileSync(path.join(dir, "tokens.json"), "utf8"));

function textFile(text: string): string {
  const f = path.join(tmp, `text${count++}.txt`);
  writeFileSync(f, text);
  return f;
}

function expectOneErrorLine(r: ReturnType<typeof attnlens>, code: number, pattern: RegExp) {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr.trim().split("\n")[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

describe("texts from files and stdin", () => {
  it("--text-file and --pair-file give torch's maps; a file's final newline is dropped", () => {
    const run = reference("bert").runs[1];
    const out = outDir();
    const r = attnlens(
      "extract",
      real("bert"),
      "--text-file",
      textFile(`${run.source[0]}\n`),
      "--pair-file",
      textFile(run.pair[0]),
      "--out",
      out,
      "--providers",
      "cpu",
    );
    expect(r.code, r.stderr).toBe(0);
    expectSitesMatch(readExtraction(out).result, "bert", run.sites);
    expect(tokensJson(out)).toEqual({ source: run.tokens[0], target: [] });
  });

  it("--text - reads stdin; --target-file gives the decoder's text", () => {
    const teacher = reference("bart_split").runs[0];
    const out = outDir();
    const r = attnlensWithStdin(
      `${teacher.source[0]}\r\n`,
      "extract",
      real("bart_split"),
      "--text",
      "-",
      "--target-file",
      textFile(teacher.target[0]),
      "--out",
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(tokensJson(out)).toEqual({ source: teacher.source_tokens[0], target: teacher.target_tokens[0] });
  });

  it("mistakes: both forms of one text, two texts on stdin, a missing file", () => {
    const base = ["extract", real("bert"), "--out", outDir()];
    expectOneErrorLine(
      attnlens(...base, "--text", "hi", "--text-file", textFile("hi")),
      2,
      /^attnlens extract: error: give either --text or --text-file, not both$/,
    );
    expectOneErrorLine(
      attnlens(...base, "--text", "-", "--pair", "-"),
      2,
      /only one text can come from standard input/,
    );
    expectOneErrorLine(
      attnlens(...base, "--text-file", path.join(tmp, "missing.txt")),
      1,
      /^attnlens extract: error: cannot read --text-file .*missing\.txt: no such file$/,
    );
  });
});

describe("long texts", () => {
  // 40 KB of text: past the point where onnxruntime's session creation dies with signal 11.
  const long = Array.from({ length: 10_000 }, () => "cat").join(" ");

  it("on the command line: refused before any session, one line pointing to the file and stdin forms", () => {
    const r = attnlens("extract", real("bert"), "--text", long, "--truncate", "--out", outDir());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^attnlens: error: the command line is 39\\.[0-9] KiB; onnxruntime crashes on long command lines, so attnlens ` +
          `takes at most 16\\.0 KiB: give long texts as files \\(--text-file FILE.*\\) or on stdin \\(--text -\\)\\n$`,
      ),
    );
    expect(MAX_ARGV_BYTES).toBe(16 * 1024);
  });

  it("from a file or stdin: runs (truncated to the model's 32 positions)", () => {
    const fromFile = outDir();
    const f = attnlens("extract", real("bert"), "--text-file", textFile(long), "--truncate", "--out", fromFile);
    expect(f.code, f.stderr).toBe(0);
    expect(tokensJson(fromFile).source).toEqual(["[CLS]", ...Array(30).fill("cat"), "[SEP]"]);
    const fromStdin = outDir();
    const s = attnlensWithStdin(long, "extract", real("bert"), "--text", "-", "--truncate", "--out", fromStdin);
    expect(s.code, s.stderr).toBe(0);
    expect(tokensJson(fromStdin)).toEqual(tokensJson(fromFile));
  });
});
