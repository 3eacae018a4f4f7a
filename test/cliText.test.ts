/**
 * `attnlens extract SOURCE --text …` and `attnlens models` end to end on the real-model fixtures:
 * maps equal torch's, DIR/tokens.json holds the tokens, Hub ids resolve through a local server,
 * demo models by name; every mistake is one clear stderr line.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeNpy } from "../kernel-lib/src/output/files/npy";
import { type FakeHub, startFakeHub } from "../kernel-lib/test/fakeHub";
import { maxDiff, real, reference, refMap } from "../kernel-lib/test/realFixtures";
import { ROOT } from "./cliRunner";

const BIN = path.join(ROOT, "kernel-lib", "bin", "attnlens.js");
const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-cli-text-"));
let count = 0;
const outDir = () => path.join(tmp, `out${count++}`);

/** Runs the CLI asynchronously (the fake Hub lives in this process and must keep serving). */
function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const tokensJson = (dir: string) => JSON.parse(readFileSync(path.join(dir, "tokens.json"), "utf8"));
const manifest = (dir: string) => JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8"));

function expectMaps(dir: string, fixture: string, sites: { id: string; file: string; shape: number[] }[]) {
  const m = manifest(dir);
  expect(m.sites.map((s: { id: string }) => s.id)).toEqual(sites.map((s) => s.id));
  for (const [i, want] of sites.entries()) {
    const got = decodeNpy(readFileSync(path.join(dir, m.sites[i].file)));
    expect(got.shape).toEqual(want.shape);
    expect(maxDiff(got.data, refMap(fixture, want))).toBeLessThanOrEqual(1e-5);
  }
}

function expectOneErrorLine(r: { code: number; stderr: string }, pattern: RegExp) {
  expect(r.code).not.toBe(0);
  expect(r.stderr.trim().split("\n").length, r.stderr).toBe(1);
  expect(r.stderr).toMatch(/^attnlens \w+: error: /);
  expect(r.stderr).toMatch(pattern);
}

describe("extract --text", () => {
  it("BERT-like directory with a sentence pair: maps + tokens.json", async () => {
    const out = outDir();
    const run = reference("bert").runs[1];
    const r = await cli([
      "extract",
      real("bert"),
      "--text",
      run.source[0],
      "--pair",
      run.pair[0],
      "--out",
      out,
      "--providers",
      "cpu",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expectMaps(out, "bert", run.sites);
    expect(tokensJson(out)).toEqual({ source: run.tokens[0], target: [] });
  });

  it("encoder-decoder split with --target, and generating without one", async () => {
    const teacher = reference("bart_split").runs[0];
    const out = outDir();
    const r = await cli([
      "extract",
      real("bart_split"),
      "--text",
      teacher.source[0],
      "--target",
      teacher.target[0],
      "--out",
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(tokensJson(out)).toEqual({ source: teacher.source_tokens[0], target: teacher.target_tokens[0] });
    const cross = manifest(out).sites.find((s: { id: string }) => s.id === "decoder.cross.0");
    expect(cross.shape).toEqual([1, 4, teacher.target_tokens[0].length, teacher.source_tokens[0].length]);

    const gen = reference("bart_split").generate;
    const out2 = outDir();
    const g = await cli([
      "extract",
      real("bart_split"),
      "--text",
      gen.source,
      "--generate",
      String(gen.max_new_tokens),
      "--out",
      out2,
    ]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout).toMatch(/^generated: /m);
    expectMaps(out2, "bart_split", gen.sites);
    expect(tokensJson(out2).target[0]).toBe("<pad>");
  });

  it("decoder-only with --generate, from the .onnx file itself", async () => {
    const gen = reference("gpt2").generate;
    const out = outDir();
    const r = await cli([
      "extract",
      real("gpt2/model.onnx"),
      "--text",
      gen.prompt,
      "--generate",
      String(gen.max_new_tokens),
      "--out",
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expectMaps(out, "gpt2", gen.sites);
    const t = tokensJson(out);
    expect(t.source).toEqual(t.target);
    expect(t.source.length).toBe(gen.prompt_ids.length + gen.generated.length - 1);
  });

  it("too long: one line naming the limit; --truncate runs", async () => {
    const long = Array.from({ length: 40 }, () => "cat").join(" ");
    expectOneErrorLine(
      await cli(["extract", real("bert"), "--text", long, "--out", outDir()]),
      /has only 32 positions.*--truncate/,
    );
    const out = outDir();
    const ok = await cli(["extract", real("bert"), "--text", long, "--truncate", "--out", out]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(tokensJson(out).source.length).toBe(32);
  });

  it("usage mistakes: the error, then the usage", async () => {
    const pair = await cli(["extract", real("gpt2"), "--text", "hi", "--pair", "there", "--out", outDir()]);
    expect(pair.code).toBe(2);
    expect(pair.stderr.split("\n")[0]).toMatch(
      /^attnlens extract: error: --pair is for encoder \(BERT-like\) models; .* is a decoder$/,
    );
    expect(pair.stderr).toMatch(/\nusage: attnlens extract SOURCE/);
    const r = await cli(["extract", real("bert"), "--out", outDir()]);
    expect(r.stderr).toMatch(/--feeds FEEDS\.json is required \(or --text/);
    expectOneErrorLine(
      await cli(["extract", "./missing-model", "--text", "hi", "--out", outDir()]),
      /no such file or directory: \.\/missing-model/,
    );
  });
});

describe("extract from the Hub (local server) and from the offline cache", () => {
  let hub: FakeHub;
  const cache = path.join(tmp, "hub-cache");
  beforeAll(async () => {
    hub = await startFakeHub([
      {
        id: "org/tiny-gpt",
        dir: real("gpt2"),
        files: ["config.json", "tokenizer.json", "tokenizer_config.json", "model.onnx"],
      },
    ]);
  });
  afterAll(() => hub.close());

  it("downloads, extracts, then works offline; unknown ids and no network are one line each", async () => {
    const env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache };
    const out = outDir();
    const r = await cli(["extract", "org/tiny-gpt", "--text", "the cat sat", "--out", out], env);
    expect(r.code, r.stderr).toBe(0);
    expect(tokensJson(out).source).toEqual(["the", "Ġcat", "Ġsat"]);
    const offline = await cli(["extract", "org/tiny-gpt", "--text", "the cat", "--offline", "--out", outDir()], {
      ...env,
      HF_ENDPOINT: "http://127.0.0.1:1",
    });
    expect(offline.code, offline.stderr).toBe(0);
    expectOneErrorLine(
      await cli(
        [
          "extract",
          "org/tiny-gpt",
          "--text",
          "x",
          "--revision",
          "main",
          "--max-download-bytes",
          "1000",
          "--out",
          outDir(),
        ],
        {
          ...env,
          HF_HUB_CACHE: `${cache}-limit`,
        },
      ),
      /over the download limit of 1\.0 kB: raise maxDownloadBytes \(CLI: --max-download-bytes/,
    );
    expectOneErrorLine(
      await cli(["extract", "org/missing", "--text", "x", "--out", outDir()], env),
      /NOT_FOUND|was not found .*HTTP 404/,
    );
    expectOneErrorLine(
      await cli(["extract", "org/other", "--text", "x", "--out", outDir()], {
        ...env,
        HF_ENDPOINT: "http://127.0.0.1:1",
      }),
      /cannot reach .*--offline/,
    );
  });
});

describe("demo models by name", () => {
  const demos = path.join(tmp, "demos");
  beforeAll(() => {
    const dir = path.join(demos, "tiny-test-bert");
    mkdirSync(dir, { recursive: true });
    cpSync(real("bert"), dir, { recursive: true });
    const config = JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8"));
    writeFileSync(path.join(dir, "config.json"), JSON.stringify({ ...config, attnlens_demo: { task: "a test task" } }));
    writeFileSync(path.join(dir, "README.md"), "# tiny-test-bert\n\nA tiny BERT for the tests.\n\n## Files\n");
    writeFileSync(
      path.join(dir, "heads.json"),
      JSON.stringify({
        roles: [
          { layer: 1, head: 2, role: "previous token", score: 0.91 },
          { stack: "decoder", kind: "cross", layer: 0, head: 1, role: "alignment", condition: "short inputs" },
        ],
      }),
    );
  });

  it("models lists them with their task, summary and head roles; extract accepts the name", async () => {
    const env = { ATTNLENS_MODELS_DIR: demos };
    const text = await cli(["models"], env);
    expect(text.stdout).toBe(
      "tiny-test-bert  (encoder, bert): a test task\n    A tiny BERT for the tests.\n" +
        "    heads: encoder.self.1 h2 previous token (0.91), decoder.cross.0 h1 alignment [short inputs]\n",
    );
    const json = JSON.parse((await cli(["models", "--json"], env)).stdout);
    expect(json[0]).toMatchObject({
      name: "tiny-test-bert",
      family: "encoder",
      task: "a test task",
      heads: [
        { site: "encoder.self.1", layer: 1, head: 2 },
        { site: "decoder.cross.0", stack: "decoder", kind: "cross", condition: "short inputs" },
      ],
    });
    const out = outDir();
    const r = await cli(["extract", "tiny-test-bert", "--text", "the cat", "--out", out], env);
    expect(r.code, r.stderr).toBe(0);
    expect(tokensJson(out).source).toEqual(["[CLS]", "the", "cat", "[SEP]"]);
  });
});
