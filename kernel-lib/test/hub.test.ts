/**
 * Hub downloads against a local HTTP server holding fixture repositories: files land in the
 * Hugging Face cache layout (blobs named by hash, snapshots/<commit> linking to them, refs/main),
 * interrupted downloads resume with Range, the offline setting uses the cache only, and an unknown
 * id or an unreachable Hub gets a clear error.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DownloadProgress, loadModel } from "../src";
import { progressReporter } from "../src/load/hub/progress";
import { failure } from "./expectError";
import { type FakeHub, sha256, startFakeHub } from "./fakeHub";
import { real } from "./realFixtures";

const BERT_FILES = [
  "config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "onnx/model.onnx",
  "onnx/model_quantized.onnx",
];
let hub: FakeHub;
const root = mkdtempSync(path.join(tmpdir(), "attnlens-hub-"));
let n = 0;
const freshCache = () => path.join(root, `cache${n++}`);

beforeAll(async () => {
  hub = await startFakeHub([
    { id: "org/tiny-bert", dir: real("bert_tfjs"), files: BERT_FILES },
    {
      id: "org/tiny-seq2seq",
      dir: real("bart_split"),
      files: ["config.json", "tokenizer.json", "encoder_model.onnx", "decoder_model.onnx"],
    },
    { id: "org/no-onnx", dir: real("bert"), files: ["config.json", "tokenizer.json"] },
  ]);
});
afterAll(() => hub.close());

const opts = (cacheDir: string, more: object = {}) => ({
  endpoint: hub.url,
  cacheDir,
  providers: ["cpu"],
  onProgress: false as const,
  ...more,
});
const repoDir = (cacheDir: string, id = "org/tiny-bert") => path.join(cacheDir, `models--${id.replace("/", "--")}`);
const snapshot = (cacheDir: string, id = "org/tiny-bert", commit = hub.head(id)) =>
  path.join(repoDir(cacheDir, id), "snapshots", commit);
const MODEL = readFileSync(real("bert_tfjs/onnx/model.onnx"));
const modelBlob = (cacheDir: string) => path.join(repoDir(cacheDir), "blobs", sha256(MODEL));
const fileGets = (since: number) => hub.log.slice(since).filter((r) => r.path.includes("/resolve/"));

describe("downloading from the Hub", () => {
  it("fetches the chosen files into the cache and runs the model", async () => {
    const cacheDir = freshCache();
    const events: DownloadProgress[] = [];
    const model = await loadModel(
      "org/tiny-bert",
      opts(cacheDir, { onProgress: (p: DownloadProgress) => events.push(p) }),
    );
    expect(model.info.dir).toBe(snapshot(cacheDir));
    const files = ["config.json", "onnx", "tokenizer.json", "tokenizer_config.json"];
    expect(readdirSync(model.info.dir).sort()).toEqual(files);
    expect(readdirSync(path.join(model.info.dir, "onnx"))).toEqual(["model.onnx"]); // not the quantized one
    // huggingface_hub's layout: a relative link into blobs/, named by the LFS sha256; refs/main names the commit.
    const link = path.join(model.info.dir, "onnx", "model.onnx");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(`../../../blobs/${sha256(MODEL)}`);
    expect(readFileSync(modelBlob(cacheDir)).equals(MODEL)).toBe(true);
    expect(readFileSync(path.join(repoDir(cacheDir), "refs", "main"), "utf8")).toBe(hub.head("org/tiny-bert"));
    expect(
      events
        .filter((e) => e.done)
        .map((e) => e.file)
        .sort(),
    ).toEqual(
      ["config.json", "onnx/model.onnx", "tokenizer.json", "tokenizer_config.json"].map((f) => `org/tiny-bert/${f}`),
    );
    const result = await model.run("the cat sat");
    expect(result.tokens?.source?.[0].map((t) => t.text)).toEqual(["[CLS]", "the", "cat", "sat", "[SEP]"]);
    await model.release();
  });

  it("uses what the cache holds: no file is fetched twice; offline contacts nobody", async () => {
    const cacheDir = freshCache();
    await (await loadModel("org/tiny-bert", opts(cacheDir))).release();
    let since = hub.log.length;
    await (await loadModel("org/tiny-bert", opts(cacheDir))).release();
    expect(fileGets(since)).toEqual([]);
    since = hub.log.length;
    const offline = await loadModel("org/tiny-bert", opts(cacheDir, { offline: true }));
    expect(hub.log.length).toBe(since);
    await offline.release();
    process.env.HF_HUB_OFFLINE = "1";
    try {
      await (await loadModel("org/tiny-bert", opts(cacheDir))).release();
      expect(hub.log.length).toBe(since);
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
  });

  it("a new commit on the revision gets a new snapshot, fetching only the changed file; offline then uses it", async () => {
    const cacheDir = freshCache();
    await (await loadModel("org/tiny-seq2seq", opts(cacheDir))).release();
    const before = hub.head("org/tiny-seq2seq");
    const config = JSON.parse(readFileSync(real("bart_split/config.json"), "utf8"));
    hub.push("org/tiny-seq2seq", "f".repeat(40), { "config.json": JSON.stringify({ ...config, note: "v2" }) });
    const since = hub.log.length;
    const model = await loadModel("org/tiny-seq2seq", opts(cacheDir));
    expect(model.info.dir).toBe(snapshot(cacheDir, "org/tiny-seq2seq", "f".repeat(40)));
    expect(fileGets(since).map((r) => r.path)).toEqual([`/org/tiny-seq2seq/resolve/${"f".repeat(40)}/config.json`]);
    expect(JSON.parse(readFileSync(path.join(model.info.dir, "config.json"), "utf8")).note).toBe("v2");
    expect(existsSync(snapshot(cacheDir, "org/tiny-seq2seq", before))).toBe(true); // the old snapshot stays
    await model.release();
    const offline = await loadModel("org/tiny-seq2seq", opts(cacheDir, { offline: true }));
    expect(offline.info.dir).toBe(snapshot(cacheDir, "org/tiny-seq2seq", "f".repeat(40)));
    await offline.release();
  });

  it("two loads of one model at once: the model file is downloaded once, both get the same snapshot", async () => {
    const cacheDir = freshCache();
    const since = hub.log.length;
    const [a, b] = await Promise.all([
      loadModel("org/tiny-bert", opts(cacheDir)),
      loadModel("org/tiny-bert", opts(cacheDir)),
    ]);
    expect(a.info.dir).toBe(b.info.dir);
    expect(hub.log.slice(since).filter((r) => r.path.startsWith("/lfs-cdn/")).length).toBe(1);
    expect(readFileSync(path.join(a.info.dir, "onnx", "model.onnx")).equals(MODEL)).toBe(true);
    expect(readdirSync(path.join(repoDir(cacheDir), "blobs")).filter((f) => !/^[0-9a-f]+$/.test(f))).toEqual([]);
    await Promise.all([a.release(), b.release()]);
  });

  it("quantized: true downloads only the quantized ONNX file; split layouts fetch both files", async () => {
    const cacheDir = freshCache();
    const model = await loadModel("org/tiny-bert", opts(cacheDir, { quantized: true }));
    expect(readdirSync(path.join(model.info.dir, "onnx"))).toEqual(["model_quantized.onnx"]);
    await model.release();
    const s2s = await loadModel("org/tiny-seq2seq", opts(cacheDir));
    expect(s2s.family).toBe("encoder-decoder");
    await s2s.release();
  });
});

describe("interrupted and changed downloads", () => {
  it("never leaves a half-written file in place, and resumes with a Range request", async () => {
    const cacheDir = freshCache();
    const target = path.join(snapshot(cacheDir), "onnx", "model.onnx");
    const part = `${modelBlob(cacheDir)}.incomplete`; // huggingface_hub's name: either client resumes it
    hub.cut("onnx/model.onnx", 40_000);
    const e = await failure(loadModel("org/tiny-bert", opts(cacheDir)));
    expect(e.code).toBe("NETWORK");
    expect(e.message).toMatch(
      /download of org\/tiny-bert\/onnx\/model\.onnx (broke off|stopped at).*run again to resume/,
    );
    expect(existsSync(target)).toBe(false);
    expect(existsSync(modelBlob(cacheDir))).toBe(false);
    const partial = statSync(part).size;
    expect(partial).toBeGreaterThan(0);
    // A partial download does not count as cached.
    expect((await failure(loadModel("org/tiny-bert", opts(cacheDir, { offline: true })))).message).toMatch(
      /not in the cache/,
    );

    const since = hub.log.length;
    const model = await loadModel("org/tiny-bert", opts(cacheDir));
    const get = hub.log.slice(since).find((r) => r.path === `/lfs-cdn/org/tiny-bert/${sha256(MODEL)}`);
    expect(get?.range).toBe(`bytes=${partial}-`);
    expect(readFileSync(target).equals(MODEL)).toBe(true);
    expect(existsSync(part)).toBe(false);
    await model.release();
  });

  it("a small (non-LFS) file cut off leaves nothing behind; the next run fetches it whole", async () => {
    const cacheDir = freshCache();
    hub.cut("tokenizer.json", 100);
    const e = await failure(loadModel("org/tiny-bert", opts(cacheDir)));
    expect(e.code).toBe("NETWORK");
    expect(e.message).toMatch(/download of org\/tiny-bert\/tokenizer\.json (broke off|stopped at)/);
    expect(readdirSync(path.join(repoDir(cacheDir), "blobs")).filter((f) => f.includes("incomplete"))).toEqual([]);
    expect(existsSync(snapshot(cacheDir))).toBe(false); // config.json, linked before, is taken out again
    const model = await loadModel("org/tiny-bert", opts(cacheDir));
    expect(
      readFileSync(path.join(model.info.dir, "tokenizer.json")).equals(readFileSync(real("bert_tfjs/tokenizer.json"))),
    ).toBe(true);
    await model.release();
  });

  it("gives up on a server that goes silent mid-file, then resumes", async () => {
    const cacheDir = freshCache();
    hub.stall("onnx/model.onnx", 30_000);
    // the server never sends the rest: without the idle timeout this would hang past the test's limit
    const e = await failure(loadModel("org/tiny-bert", opts(cacheDir, { timeoutMs: 400 })));
    expect(e.code).toBe("NETWORK");
    expect(e.message).toMatch(/model\.onnx broke off after 30000 bytes \(no data for 0\.4 s\); run again to resume/);
    const model = await loadModel("org/tiny-bert", opts(cacheDir, { timeoutMs: 400 }));
    const target = path.join(snapshot(cacheDir), "onnx", "model.onnx");
    expect(readFileSync(target).equals(MODEL)).toBe(true);
    await model.release();
  });

  it("a partial file that is not the start of the blob: resumed, its sha256 fails, fetched again whole", async () => {
    const cacheDir = freshCache();
    mkdirSync(path.dirname(modelBlob(cacheDir)), { recursive: true });
    writeFileSync(`${modelBlob(cacheDir)}.incomplete`, Buffer.alloc(1000, 7));
    const since = hub.log.length;
    const model = await loadModel("org/tiny-bert", opts(cacheDir));
    const gets = hub.log.slice(since).filter((r) => r.path === `/lfs-cdn/org/tiny-bert/${sha256(MODEL)}`);
    expect(gets.map((g) => g.range)).toEqual(["bytes=1000-", undefined]);
    expect(readFileSync(path.join(snapshot(cacheDir), "onnx", "model.onnx")).equals(MODEL)).toBe(true);
    await model.release();
  });
});

describe("Hub errors", () => {
  it("an id that does not exist", async () => {
    const e = await failure(loadModel("org/nope", opts(freshCache())));
    expect(e.code).toBe("NOT_FOUND");
    expect(e.message).toMatch(/model org\/nope was not found at .* \(HTTP 404\): check the model id/);
    expect(e.message).toMatch(/no local file or directory named org\/nope either/);
  });

  it("no network: says so and suggests the offline cache", async () => {
    const e = await failure(loadModel("org/tiny-bert", opts(freshCache(), { endpoint: "http://127.0.0.1:1" })));
    expect(e.code).toBe("NETWORK");
    expect(e.message).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1 .*load with \{ offline: true \} \(CLI: --offline/);
  });

  it("no network but a complete cached copy: the copy is used", async () => {
    const cacheDir = freshCache();
    await (await loadModel("org/tiny-bert", opts(cacheDir))).release();
    const model = await loadModel("org/tiny-bert", opts(cacheDir, { endpoint: "http://127.0.0.1:1" }));
    expect(model.info.dir).toBe(snapshot(cacheDir));
    await model.release();
  });

  it("offline with an empty cache", async () => {
    const e = await failure(loadModel("org/tiny-bert", opts(freshCache(), { offline: true })));
    expect(e.code).toBe("NETWORK");
    expect(e.message).toMatch(/offline mode: org\/tiny-bert \(revision main\) is not in the cache/);
  });

  it("a repository without an ONNX model lists what was looked for", async () => {
    const e = await failure(loadModel("org/no-onnx", opts(freshCache())));
    expect(e.code).toBe("MISSING_FILES");
    expect(e.message).toMatch(/org\/no-onnx on .* has no ONNX model .*Looked for: model\.onnx/);
  });
});

describe("progress for large files", () => {
  it("a line per 10 % in logs, nothing for small files", () => {
    const lines: string[] = [];
    const report = progressReporter((s) => lines.push(s), false);
    const total = 20 * 1024 * 1024;
    for (let loaded = 0; loaded <= total; loaded += total / 40)
      report({ file: "m.onnx", loaded, total, done: loaded === total });
    report({ file: "config.json", loaded: 500, total: 500, done: true });
    expect(lines.length).toBe(11); // 0 %, 10 % … 100 % (the final "done" event is the 100 % line)
    expect(lines[5]).toBe("attnlens: downloading m.onnx 10.0/20.0 MB (50%)\n");
    expect(lines.some((l) => l.includes("config.json"))).toBe(false);
  });
});
