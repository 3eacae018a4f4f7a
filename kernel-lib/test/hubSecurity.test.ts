/**
 * A hostile or broken Hub on 127.0.0.1 must never write outside the cache, mix commits, or fill
 * the disk; each refusal is one AttnlensError naming what was wrong, and leaves no partial file in
 * the cache (no blobs/*.incomplete, no snapshot). Every case checks the whole test folder
 * afterwards: nothing outside the cache, nothing named ESCAPED anywhere.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchHubModel, type HubOptions } from "../src";
import { failure } from "./expectError";
import { type FakeHub, type FakeRepo, gitBlobId, sha256, startFakeHub } from "./fakeHub";
import { BERT_FILES, EXTERNAL_FILES, externalDataRepo, subgraphDataRepo } from "./hubFixtures";
import { real } from "./realFixtures";

const root = mkdtempSync(path.join(tmpdir(), "attnlens-hubsec-"));
const MODEL = readFileSync(real("bert_tfjs/onnx/model.onnx"));
const CONFIG = readFileSync(real("bert_tfjs/config.json"));
const bert = (id: string, more: Partial<FakeRepo> = {}): FakeRepo => ({
  id,
  dir: real("bert_tfjs"),
  files: BERT_FILES,
  ...more,
});
const flipByte = (b: Buffer, at = 100) => {
  const c = Buffer.from(b);
  c[at] ^= 0xff;
  return c;
};

/** Names a hostile listing may hold; each must be refused before any path is made from it. */
const HOSTILE_NAMES: [string, RegExp][] = [
  ["../ESCAPED_model.onnx", /climbs out with "\.\."/],
  ["onnx/../../ESCAPED.onnx", /climbs out with "\.\."/],
  ["/tmp/ESCAPED_abs.onnx", /absolute path/],
  ["onnx\\..\\..\\ESCAPED.onnx", /backslash/],
  ["onnx//model.onnx", /empty or '\.' segment/],
  ["./model.onnx", /empty or '\.' segment/],
  ["model.onnx\u0000ESCAPED", /control character/],
  ["C:/ESCAPED.onnx", /names a drive/],
  ["onnx/c:ESCAPED.onnx", /names a drive/],
];

let hub: FakeHub;
let external: string;
let n = 0;
/** A fresh folder for one case, and the cache inside it. */
const freshCase = () => {
  const dir = path.join(root, `case${n++}`);
  return { dir, cache: path.join(dir, "hf", "hub") };
};
const options = (cache: string, more: HubOptions = {}): HubOptions => ({
  endpoint: hub.url,
  cacheDir: cache,
  onProgress: false,
  ...more,
});

/** Every file under `dir` (links not followed), relative. */
function walk(dir: string, rel = ""): string[] {
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) =>
    e.isDirectory() ? walk(dir, path.join(rel, e.name)) : [path.join(rel, e.name).split(path.sep).join("/")],
  );
}

/** After a refusal: nothing outside the cache, no snapshot, no partial blob, nothing ESCAPED. */
function expectNothingLeft(c: { dir: string; cache: string }, id: string): void {
  const files = walk(c.dir);
  expect(files.filter((f) => !f.startsWith("hf/hub/"))).toEqual([]);
  expect(files.filter((f) => /ESCAPED|\.incomplete$|\.tmp$|\/snapshots\/|\/refs\//.test(f))).toEqual([]);
  expect(walk(root).filter((f) => f.includes("ESCAPED"))).toEqual([]);
  expect(readdirSync(path.dirname(root)).filter((f) => f.startsWith("ESCAPED"))).toEqual([]);
  void id;
}

const fileGets = (since: number) => hub.log.slice(since).filter((r) => /\/resolve\/|\/lfs-cdn\//.test(r.path));

beforeAll(async () => {
  external = await externalDataRepo(path.join(root, "external"));
  const subgraph = await subgraphDataRepo(path.join(root, "subgraph"));
  const modelLocation = readFileSync(path.join(external, "onnx", "model.onnx"));
  // "model.onnx_data" and "../ESCAPED_data" have the same length: a byte swap keeps the protobuf valid.
  const escaping = Buffer.from(
    modelLocation.toString("latin1").replaceAll("model.onnx_data", "../ESCAPED_data"),
    "latin1",
  );
  hub = await startFakeHub([
    bert("org/ok"),
    ...HOSTILE_NAMES.map(([name], i) => bert(`evil/name${i}`, { content: { [name]: "x" } })),
    // The issue's exploit: one .onnx file, anywhere, used whatever its path.
    { id: "evil/lone-onnx", dir: real("bert_tfjs"), files: ["config.json"], content: { "weird/x.onnx": MODEL } },
    // Files that merely start with the model's name are not its external data.
    bert("evil/decoys", { content: { "onnx/model.onnx_ESCAPED": "x", "onnx/model.onnx.data": "y" } }),
    {
      id: "evil/external-decoy",
      dir: external,
      files: EXTERNAL_FILES,
      content: { "onnx/model.onnx_data2": "x", "onnx/model.onnx_data_ESCAPED": "y" },
    },
    { id: "evil/external-missing", dir: external, files: EXTERNAL_FILES.filter((f) => !f.endsWith("_data")) },
    { id: "evil/external-escape", dir: external, files: EXTERNAL_FILES, content: { "onnx/model.onnx": escaping } },
    { id: "org/subgraph-data", dir: subgraph, files: ["config.json", "onnx/model.onnx", "onnx/branch.bin"] },
    bert("evil/sha-dotdot", { editListing: (b) => ({ ...b, sha: ".." }) }),
    bert("evil/sha-path", { editListing: (b) => ({ ...b, sha: "../../ESCAPED" }) }),
    bert("evil/sha-short", { editListing: (b) => ({ ...b, sha: "0123abcd" }) }),
    bert("evil/other-commit", {
      editFile: (_f, r) => ({ ...r, headers: { ...r.headers, "X-Repo-Commit": "e".repeat(40) } }),
    }),
    bert("evil/claims-10gb", { editListing: (b) => withSize(b, "onnx/model.onnx", 10e9) }),
    bert("evil/header-10gb", {
      editListing: (b) => withSize(b, "onnx/model.onnx", undefined),
      editFile: (f, r) =>
        f === "onnx/model.onnx" ? { ...r, headers: { ...r.headers, "X-Linked-Size": "10000000000" } } : r,
    }),
    bert("evil/longer-than-declared", {
      editFile: (f, r) => (f === "onnx/model.onnx" ? { ...r, body: Buffer.concat([r.body, Buffer.alloc(4096)]) } : r),
    }),
    bert("evil/longer-chunked", {
      editFile: (f, r) =>
        f === "onnx/model.onnx" ? { ...r, chunked: true, body: Buffer.concat([r.body, Buffer.alloc(1 << 20)]) } : r,
    }),
    bert("evil/corrupt-lfs", { editFile: (f, r) => (f === "onnx/model.onnx" ? { ...r, body: flipByte(r.body) } : r) }),
    bert("evil/corrupt-text", { editFile: (f, r) => (f === "config.json" ? { ...r, body: flipByte(r.body, 5) } : r) }),
    bert("evil/not-json", { editListing: () => "<html>" }),
    bert("org/pushed"),
  ]);
}, 120_000);
afterAll(() => hub?.close());

function withSize(
  b: { siblings: { rfilename: string; size?: number; lfs?: { sha256: string; size: number } }[] },
  f: string,
  size: number | undefined,
) {
  return {
    ...b,
    siblings: b.siblings.map((s) =>
      s.rfilename !== f ? s : { ...s, size, lfs: size === undefined ? undefined : s.lfs && { ...s.lfs, size } },
    ),
  };
}

describe("names from the listing", () => {
  HOSTILE_NAMES.forEach(([name, why], i) => {
    it(`refuses ${JSON.stringify(name)}`, async () => {
      const c = freshCase();
      const since = hub.log.length;
      const e = await failure(fetchHubModel(`evil/name${i}`, options(c.cache)));
      expect(e.code).toBe("HUB_REFUSED");
      expect(e.message).toContain(`names the file ${JSON.stringify(name)}, which is refused`);
      expect(e.message).toMatch(why);
      expect(e.message).toMatch(/Nothing was written to the cache; the server is broken or hostile/);
      expect(fileGets(since)).toEqual([]); // refused from the listing, before any download
      expectNothingLeft(c, `evil/name${i}`);
    });
  });

  it("a lone .onnx file outside the known layouts is not used", async () => {
    const c = freshCase();
    const e = await failure(fetchHubModel("evil/lone-onnx", options(c.cache)));
    expect(e.code).toBe("MISSING_FILES");
    expect(e.message).toMatch(
      /none of its \.onnx files \(weird\/x\.onnx\) has a standard name\. Looked for: model\.onnx/,
    );
    expectNothingLeft(c, "evil/lone-onnx");
  });

  it("files that merely start with the model's name are not downloaded", async () => {
    const c = freshCase();
    const since = hub.log.length;
    const dir = await fetchHubModel("evil/decoys", options(c.cache));
    expect(walk(dir).sort()).toEqual(["config.json", "onnx/model.onnx", "tokenizer.json", "tokenizer_config.json"]);
    expect(fileGets(since).filter((r) => r.path.includes("ESCAPED") || r.path.endsWith(".data"))).toEqual([]);
  });
});

describe("external data: exactly the files the model names", () => {
  it("only model.onnx_data, the location its tensors give; not model.onnx_data2", async () => {
    const c = freshCase();
    const since = hub.log.length;
    const dir = await fetchHubModel("evil/external-decoy", options(c.cache));
    expect(walk(dir).filter((f) => f.startsWith("onnx/"))).toEqual(["onnx/model.onnx", "onnx/model.onnx_data"]);
    expect(fileGets(since).filter((r) => /data2|ESCAPED/.test(r.path))).toEqual([]);
  });

  it("data named only inside a sub-graph (an If branch, as in a merged decoder) is found", async () => {
    const c = freshCase();
    const dir = await fetchHubModel("org/subgraph-data", options(c.cache));
    expect(walk(dir).sort()).toEqual(["config.json", "onnx/branch.bin", "onnx/model.onnx"]);
  });

  it("a model naming data the repository lacks: one error, no snapshot", async () => {
    const c = freshCase();
    const e = await failure(fetchHubModel("evil/external-missing", options(c.cache)));
    expect(e.code).toBe("MISSING_FILES");
    expect(e.message).toMatch(
      /evil\/external-missing\/onnx\/model\.onnx keeps its weights in onnx\/model\.onnx_data, which the repository does not have \(commit [0-9a-f]{40}\)/,
    );
    expectNothingLeft(c, "evil/external-missing");
  });

  it("a model whose external-data location climbs out of its folder", async () => {
    const c = freshCase();
    const e = await failure(fetchHubModel("evil/external-escape", options(c.cache)));
    expect(["BAD_MODEL", "HUB_REFUSED"]).toContain(e.code);
    expect(e.message).toMatch(/"\.\.\/ESCAPED_data": an external-data location must be a file beside the model/);
    expectNothingLeft(c, "evil/external-escape");
  });
});

describe("the commit", () => {
  for (const [id, sha] of [
    ["evil/sha-dotdot", ".."],
    ["evil/sha-path", "../../ESCAPED"],
    ["evil/sha-short", "0123abcd"],
  ]) {
    it(`refuses ${JSON.stringify(sha)} as a commit`, async () => {
      const c = freshCase();
      const e = await failure(fetchHubModel(id, options(c.cache)));
      expect(e.code).toBe("HUB_REFUSED");
      expect(e.message).toContain(`gives ${JSON.stringify(sha)} as its commit, where a commit is 40 hex digits`);
      expectNothingLeft(c, id);
    });
  }

  it("a file served from another commit than the one asked for", async () => {
    const c = freshCase();
    const e = await failure(fetchHubModel("evil/other-commit", options(c.cache)));
    expect(e.code).toBe("HUB_REFUSED");
    expect(e.message).toMatch(
      /served evil\/other-commit\/config\.json from commit "e{40}" when asked for commit [0-9a-f]{40}/,
    );
    expectNothingLeft(c, "evil/other-commit");
  });

  it("a push during the download: every file comes from the commit read at the start", async () => {
    const c = freshCase();
    const id = "org/pushed";
    const first = hub.head(id);
    const pushed = "a".repeat(40);
    // The first file request triggers a push that changes the tokenizer config and the model.
    hub.onGet("config.json", () =>
      hub.push(id, pushed, {
        "tokenizer_config.json": '{"changed": true}',
        "onnx/model.onnx": readFileSync(real("bert_tfjs/onnx/model_quantized.onnx")),
      }),
    );
    const since = hub.log.length;
    const dir = await fetchHubModel(id, options(c.cache));
    expect(hub.head(id)).toBe(pushed); // the push did happen mid-download
    expect(path.basename(dir)).toBe(first);
    expect(readFileSync(path.join(dir, "onnx", "model.onnx")).equals(MODEL)).toBe(true);
    expect(
      readFileSync(path.join(dir, "tokenizer_config.json")).equals(
        readFileSync(real("bert_tfjs/tokenizer_config.json")),
      ),
    ).toBe(true);
    const resolves = hub.log.slice(since).filter((r) => r.path.includes("/resolve/"));
    expect(resolves.length).toBe(4);
    for (const r of resolves) expect(r.path).toContain(`/resolve/${first}/`);
    expect(readFileSync(path.join(c.cache, "models--org--pushed", "refs", "main"), "utf8")).toBe(first);
  });
});

describe("sizes", () => {
  it("a listing that claims 10 GB is refused up front (default limit), before any download", async () => {
    const c = freshCase();
    const since = hub.log.length;
    const e = await failure(fetchHubModel("evil/claims-10gb", options(c.cache)));
    expect(e.code).toBe("TOO_LARGE");
    expect(e.message).toMatch(
      /evil\/claims-10gb declares 10\.0 GB to download .*over the download limit of 8\.6 GB: raise maxDownloadBytes \(CLI: --max-download-bytes/,
    );
    expect(fileGets(since)).toEqual([]);
    expectNothingLeft(c, "evil/claims-10gb");
  });

  it("the user's limit counts all files together, before any download", async () => {
    const c = freshCase();
    const since = hub.log.length;
    const total = MODEL.length + CONFIG.length;
    const e = await failure(fetchHubModel("org/ok", options(c.cache, { maxDownloadBytes: total })));
    expect(e.code).toBe("TOO_LARGE");
    expect(e.message).toContain(`over the download limit of ${(total / 1e3).toFixed(1)} kB`);
    expect(fileGets(since)).toEqual([]);
    expectNothingLeft(c, "org/ok");
  });

  it("a size the listing leaves out but a header claims (10 GB) is refused before writing", async () => {
    const c = freshCase();
    const e = await failure(fetchHubModel("evil/header-10gb", options(c.cache)));
    expect(e.code).toBe("TOO_LARGE");
    expect(e.message).toMatch(/evil\/header-10gb\/onnx\/model\.onnx is 10\.0 GB, over what the download limit leaves/);
    expectNothingLeft(c, "evil/header-10gb");
  });

  it("a Content-Length over the declared size is refused before writing", async () => {
    const c = freshCase();
    const e = await failure(fetchHubModel("evil/longer-than-declared", options(c.cache)));
    expect(e.code).toBe("HUB_REFUSED");
    expect(e.message).toContain(
      `declares ${MODEL.length} bytes for evil/longer-than-declared/onnx/model.onnx but sends ${MODEL.length + 4096}`,
    );
    expectNothingLeft(c, "evil/longer-than-declared");
  });

  it("a body streamed past the declared size is cut off", async () => {
    const c = freshCase();
    const e = await failure(fetchHubModel("evil/longer-chunked", options(c.cache)));
    expect(e.code).toBe("HUB_REFUSED");
    expect(e.message).toContain(
      `sent more than the ${MODEL.length} bytes it declares for evil/longer-chunked/onnx/model.onnx; the download was cut off`,
    );
    expectNothingLeft(c, "evil/longer-chunked");
  });
});

describe("hashes", () => {
  it("an LFS file whose sha256 does not match", async () => {
    const c = freshCase();
    const e = await failure(fetchHubModel("evil/corrupt-lfs", options(c.cache)));
    expect(e.code).toBe("HUB_REFUSED");
    expect(e.message).toContain(
      `evil/corrupt-lfs/onnx/model.onnx arrived corrupt: its sha256 is ${sha256(flipByte(MODEL))}, the Hub declares ${sha256(MODEL)}`,
    );
    expectNothingLeft(c, "evil/corrupt-lfs");
    expect(walk(c.cache).filter((f) => f.endsWith(sha256(MODEL)))).toEqual([]);
  });

  it("a small file whose git blob hash does not match", async () => {
    const c = freshCase();
    const e = await failure(fetchHubModel("evil/corrupt-text", options(c.cache)));
    expect(e.code).toBe("HUB_REFUSED");
    expect(e.message).toContain(
      `config.json arrived corrupt: its git hash is ${gitBlobId(flipByte(CONFIG, 5))}, the Hub declares ${gitBlobId(CONFIG)}`,
    );
    expectNothingLeft(c, "evil/corrupt-text");
  });
});

describe("ids, revisions, listings", () => {
  for (const id of [
    "../ESCAPED",
    "org/../ESCAPED",
    "a--b/c",
    "org/na me",
    "org/a/b",
    "/abs",
    "org/x.git",
    "org/.hidden",
  ]) {
    it(`refuses the id ${JSON.stringify(id)} before any request`, async () => {
      const c = freshCase();
      const since = hub.log.length;
      const e = await failure(fetchHubModel(id, options(c.cache)));
      expect(e.code).toBe("BAD_INPUT");
      expect(e.message).toContain(`${JSON.stringify(id)} is not a Hub model id: use owner/name`);
      expect(hub.log.length).toBe(since);
      expectNothingLeft(c, id);
    });
  }

  for (const revision of ["../../ESCAPED", "refs//main", "a b", ""]) {
    it(`refuses the revision ${JSON.stringify(revision)}`, async () => {
      const c = freshCase();
      const e = await failure(fetchHubModel("org/ok", options(c.cache, { revision })));
      expect(e.code).toBe("BAD_INPUT");
      expect(e.message).toContain(`${JSON.stringify(revision)} is not a revision`);
      expectNothingLeft(c, "org/ok");
    });
  }

  it("a listing without a commit", async () => {
    const c = freshCase();
    const e = await failure(fetchHubModel("evil/not-json", options(c.cache)));
    expect(e.code).toBe("HUB_REFUSED");
    expect(e.message).toMatch(/the Hub's listing of evil\/not-json gives null as its commit/);
  });
});
