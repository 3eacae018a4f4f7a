/** Where the cache is (huggingface_hub's order of variables) and which names may become paths. */
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkRepoId, hubCacheDir, RepoCache, unsafeName } from "./cacheLayout";

describe("hubCacheDir", () => {
  it("option, then HF_HUB_CACHE, then HF_HOME/hub, then XDG_CACHE_HOME/huggingface/hub, then ~/.cache/huggingface/hub", () => {
    const env = { HF_HUB_CACHE: "/a", HF_HOME: "/b", XDG_CACHE_HOME: "/c" };
    expect(hubCacheDir("/opt", env)).toBe("/opt");
    expect(hubCacheDir(undefined, env)).toBe("/a");
    expect(hubCacheDir(undefined, { HF_HOME: "/b", XDG_CACHE_HOME: "/c" })).toBe(path.join("/b", "hub"));
    expect(hubCacheDir(undefined, { XDG_CACHE_HOME: "/c" })).toBe(path.join("/c", "huggingface", "hub"));
    expect(hubCacheDir(undefined, {})).toBe(path.join(os.homedir(), ".cache", "huggingface", "hub"));
    expect(hubCacheDir(undefined, { HUGGINGFACE_HUB_CACHE: "/legacy" })).toBe("/legacy");
  });
});

describe("names", () => {
  it("repository paths that stay inside a folder on any OS pass; the others say why not", () => {
    for (const ok of ["model.onnx", "onnx/model.onnx", "onnx/model.onnx_data", "a b/c-d_e.f", "weights/x..y.bin"])
      expect(unsafeName(ok), ok).toBeNull();
    expect(unsafeName("")).toBe("it is empty");
    expect(unsafeName("a/../b")).toBe('it climbs out with ".."');
    expect(unsafeName("..")).toBe('it climbs out with ".."');
    expect(unsafeName("a\\b")).toBe("it holds a backslash");
    expect(unsafeName("/a")).toBe("it is an absolute path");
    expect(unsafeName("D:a")).toBe("it names a drive");
    expect(unsafeName("a/b\u0000")).toBe("it holds a control character (NUL, newline, …)");
    expect(unsafeName("a//b")).toBe("it has an empty or '.' segment");
    expect(unsafeName("a/")).toBe("it has an empty or '.' segment");
  });

  it("repo ids as huggingface_hub accepts them; the cache folder name joins owner and name with --", () => {
    for (const ok of [
      "bert-base-uncased",
      "Xenova/bert-base-uncased",
      "sentence-transformers/all-MiniLM-L6-v2",
      "a/b.c_d",
    ])
      expect(() => checkRepoId(ok), ok).not.toThrow();
    for (const bad of ["", "a/b/c", "../a", "a/..", "a--b/c", "a/b.git", "-a/b", "a/b-", "a/" + "x".repeat(97)])
      expect(() => checkRepoId(bad), bad).toThrow(/is not a Hub model id/);
    expect(new RepoCache("/c", "Xenova/bert").root).toBe(path.join("/c", "models--Xenova--bert"));
  });

  it("commits and blob names are hex of the right length before they become folders", () => {
    const repo = new RepoCache("/c", "o/n");
    expect(repo.snapshot("a".repeat(40))).toBe(path.join(repo.root, "snapshots", "a".repeat(40)));
    expect(() => repo.snapshot("..")).toThrow(/a commit is 40 hex digits/);
    expect(() => repo.snapshot("A".repeat(40))).toThrow(/a commit is 40 hex digits/);
    expect(() => repo.blob("../x")).toThrow(/which is not hex/);
    expect(repo.blob("b".repeat(64))).toBe(path.join(repo.root, "blobs", "b".repeat(64)));
  });
});
