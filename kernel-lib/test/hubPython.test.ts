/**
 * The Hugging Face cache is shared with Python's huggingface_hub (the real client, at
 * requirements.txt's pin), both ways, against the local fake Hub:
 * - Python downloads (snapshot_download, hf_hub_download) → attnlens loads the model offline, with
 *   the server gone, finding the cache through HF_HUB_CACHE alone;
 * - attnlens downloads → Python finds every file with local_files_only=True, and scan_cache_dir
 *   reads the cache without a warning.
 * A model with external data (saved by the onnx package) goes both ways too.
 */
import { mkdtempSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { venvPython } from "../../test/pythonEnv";
import { loadModel } from "../src";
import { type FakeHub, startFakeHub } from "./fakeHub";
import { BERT_FILES, EXTERNAL_FILES, externalDataRepo, run } from "./hubFixtures";
import { real } from "./realFixtures";

const root = mkdtempSync(path.join(tmpdir(), "attnlens-hubpy-"));
let n = 0;
const freshCache = () => path.join(root, `cache${n++}`);
const BERT = BERT_FILES;
const EXTERNAL = EXTERNAL_FILES;
const TOKENS = ["[CLS]", "the", "cat", "sat", "[SEP]"];
let hub: FakeHub;

/** Python with the fake Hub as endpoint and `cache` as HF_HUB_CACHE; returns its stdout's JSON. */
async function python(code: string, cache: string, env: Record<string, string> = {}): Promise<unknown> {
  // Asynchronous: the fake Hub answers from this same process.
  const { stdout } = await run(venvPython(), ["-c", code], {
    env: { ...process.env, HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HUB_DISABLE_TELEMETRY: "1", ...env },
    timeout: 120_000,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "null");
}

beforeAll(async () => {
  await externalDataRepo(path.join(root, "external"));
  hub = await startFakeHub([
    { id: "org/tiny-bert", dir: real("bert_tfjs"), files: BERT },
    { id: "org/external", dir: path.join(root, "external"), files: EXTERNAL },
  ]);
}, 120_000);
afterAll(() => hub?.close());

async function runOffline(id: string, cache: string): Promise<string[] | undefined> {
  const before = hub.log.length;
  const saved = process.env.HF_HUB_CACHE;
  process.env.HF_HUB_CACHE = cache; // no cacheDir option: the standard variable alone finds the cache
  try {
    const model = await loadModel(id, { offline: true, providers: ["cpu"], onProgress: false });
    const result = await model.run("the cat sat");
    await model.release();
    expect(hub.log.length).toBe(before); // attnlens asked the server nothing
    return result.tokens?.source?.[0].map((t) => t.text);
  } finally {
    if (saved === undefined) delete process.env.HF_HUB_CACHE;
    else process.env.HF_HUB_CACHE = saved;
  }
}

describe("Python's huggingface_hub downloads, attnlens loads offline", () => {
  it("snapshot_download of the whole repository", async () => {
    const cache = freshCache();
    const dir = (await python(
      "import json; from huggingface_hub import snapshot_download; print(json.dumps(snapshot_download('org/tiny-bert')))",
      cache,
    )) as string;
    expect(path.basename(dir)).toBe(hub.head("org/tiny-bert"));
    expect(await runOffline("org/tiny-bert", cache)).toEqual(TOKENS);
  });

  it("hf_hub_download of the model's files one by one, the external-data model included", async () => {
    const cache = freshCache();
    const files = JSON.stringify(EXTERNAL);
    await python(
      `import json; from huggingface_hub import hf_hub_download; print(json.dumps([hf_hub_download('org/external', f) for f in ${files}]))`,
      cache,
    );
    expect(await runOffline("org/external", cache)).toEqual(TOKENS);
    // attnlens turned the data file's symlink into a hard link: Python still reads its cache as before.
    const after = (await python(
      "import json; from huggingface_hub import hf_hub_download, scan_cache_dir; " +
        "p = hf_hub_download('org/external', 'onnx/model.onnx_data', local_files_only=True); " +
        `print(json.dumps([p, [str(w) for w in scan_cache_dir(${JSON.stringify(cache)}).warnings]]))`,
      cache,
      { HF_HUB_OFFLINE: "1" },
    )) as [string, string[]];
    expect(readFileSync(after[0]).equals(readFileSync(path.join(root, "external", "onnx", "model.onnx_data")))).toBe(
      true,
    );
    expect(after[1]).toEqual([]);
  });
});

describe("attnlens downloads, Python finds the files offline", () => {
  const check = `
import json, sys
from huggingface_hub import hf_hub_download, snapshot_download, scan_cache_dir
repo, files, cache = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
paths = {f: hf_hub_download(repo, f, local_files_only=True) for f in files}
snap = snapshot_download(repo, local_files_only=True)
info = scan_cache_dir(cache)
r = [x for x in info.repos if x.repo_id == repo][0]
print(json.dumps({"paths": paths, "snapshot": snap, "warnings": [str(w) for w in info.warnings],
  "refs": {k: v.commit_hash for k, v in r.refs.items()}, "files": sorted(f.file_name for rev in r.revisions for f in rev.files)}))
`;

  for (const [id, files] of [
    ["org/tiny-bert", BERT.filter((f) => f !== "onnx/model_quantized.onnx")],
    ["org/external", EXTERNAL],
  ] as const) {
    it(`${id}: hf_hub_download and snapshot_download with local_files_only, scan_cache_dir clean`, async () => {
      const cache = freshCache();
      const model = await loadModel(id, { endpoint: hub.url, cacheDir: cache, providers: ["cpu"], onProgress: false });
      await model.release();
      const { stdout } = await run(venvPython(), ["-c", check, id, JSON.stringify(files), cache], {
        // No server for Python: HF_HUB_OFFLINE, and an endpoint where nothing listens.
        env: { ...process.env, HF_HUB_OFFLINE: "1", HF_ENDPOINT: "http://127.0.0.1:1", HF_HUB_CACHE: cache },
        timeout: 120_000,
      });
      const out = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
      expect(out.snapshot).toBe(model.info.dir);
      expect(out.warnings).toEqual([]);
      expect(out.refs).toEqual({ main: hub.head(id) });
      for (const f of files) {
        const source = id === "org/tiny-bert" ? real(`bert_tfjs/${f}`) : path.join(root, "external", f);
        expect(readFileSync(out.paths[f]).equals(readFileSync(source)), f).toBe(true);
        // Into blobs/: a symlink, or for external data a hard link (onnxruntime refuses data that resolves
        // outside the model's folder), which huggingface_hub reads like its own no-symlink copies.
        const blobs = path.join(cache, `models--${id.replace("/", "--")}`, "blobs");
        const blob = readdirSync(blobs).find((b) => statSync(path.join(blobs, b)).ino === statSync(out.paths[f]).ino);
        expect(blob, f).toBeDefined();
        if (!f.endsWith("_data")) expect(realpathSync(out.paths[f]).startsWith(blobs)).toBe(true);
      }
    });
  }
});
