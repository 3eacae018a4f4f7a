/**
 * The `attnlens` CLI end to end on the torch-exported fixtures: inspect and extract, and one
 * clear stderr line (no stack trace) for each kind of bad input.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { decodeNpy } from "../kernel-lib/src/output/files/npy";
import { fixtureNames, loadFixture } from "../kernel-lib/test/fixtureFiles";
import { mlpClassifier } from "../kernel-lib/test/syntheticModels";
import { attnlens, extractOnCpu } from "./cliRunner";

const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-cli-"));
const SITE_KEYS = ["causal", "heads", "id", "kind", "layer", "node", "stack"];

describe.each(fixtureNames())("CLI on fixture %s", (name) => {
  const fx = loadFixture(name);

  it("inspect --json lists the sites, inputs and outputs", () => {
    const r = attnlens("inspect", fx.modelPath, "--json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.sites.map((s: Record<string, unknown>) => [s.stack, s.kind, s.layer, s.causal])).toEqual(
      fx.expected.sites.map((s) => [s.stack, s.kind, s.layer, s.causal]),
    );
    for (const s of json.sites) expect(Object.keys(s).sort()).toEqual(SITE_KEYS);
    expect(json.inputs.map((i: { name: string }) => i.name).sort()).toEqual(Object.keys(fx.feeds).sort());
    expect(json.outputs.length).toBeGreaterThan(0);
  });

  it("extract writes torch-equal .npy maps and a manifest in inspect order", () => {
    const out = path.join(tmp, name);
    const r = extractOnCpu(fx.modelPath, path.join(fx.dir, "feeds.json"), out);
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8"));
    expect(manifest.provider).toBe("cpu");
    const inspected = JSON.parse(attnlens("inspect", fx.modelPath, "--json").stdout);
    expect(manifest.sites.map((s: { id: string }) => s.id)).toEqual(inspected.sites.map((s: { id: string }) => s.id));
    manifest.sites.forEach((s: { file: string; shape: number[] }, i: number) => {
      const want = fx.expected.sites[i];
      expect(s.shape).toEqual(want.shape);
      const got = decodeNpy(readFileSync(path.join(out, s.file)));
      expect(got.shape).toEqual(want.shape);
      const ref = fx.reference(want);
      let maxDiff = 0;
      for (let k = 0; k < ref.length; k++) maxDiff = Math.max(maxDiff, Math.abs(got.data[k] - ref[k]));
      expect(maxDiff).toBeLessThanOrEqual(1e-5);
    });
  });
});

describe("CLI errors: one clear line, non-zero exit, no stack trace", () => {
  const bert = loadFixture("bert_like");
  const feedsFile = path.join(bert.dir, "feeds.json");

  function expectCleanError(r: ReturnType<typeof attnlens>, pattern: RegExp) {
    expect(r.code).not.toBe(0);
    expect(r.stderr.split("\n")[0]).toMatch(/^attnlens \w+: error: /);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  }

  it("empty, truncated and non-ONNX files", () => {
    const empty = path.join(tmp, "empty.onnx");
    writeFileSync(empty, "");
    expectCleanError(attnlens("inspect", empty), /empty \(0 bytes\)/);
    const truncated = path.join(tmp, "truncated.onnx");
    writeFileSync(truncated, readFileSync(bert.modelPath).subarray(0, 5000));
    expectCleanError(attnlens("inspect", truncated), /corrupt or truncated/);
    expectCleanError(attnlens("inspect", feedsFile), /not (a valid )?(an )?ONNX model/);
  });

  it("a graph with no attention", () => {
    const f = path.join(tmp, "mlp.onnx");
    writeFileSync(f, mlpClassifier());
    expectCleanError(attnlens("inspect", f), /no attention found/);
  });

  it("missing and mistyped feeds list the expected inputs", () => {
    const feeds = JSON.parse(readFileSync(feedsFile, "utf8"));
    delete feeds.token_type_ids;
    feeds.input_ids.type = "float32";
    const f = path.join(tmp, "bad-feeds.json");
    writeFileSync(f, JSON.stringify(feeds));
    const r = attnlens("extract", bert.modelPath, "--feeds", f, "--out", path.join(tmp, "x"), "--providers", "cpu");
    expectCleanError(r, /missing input "token_type_ids"/);
    expect(r.stderr).toMatch(/input "input_ids" is float32 but the model expects int64/);
    expect(r.stderr).toMatch(/token_type_ids: int64 \[batch, sequence\]/);
  });

  it("unknown provider, unknown command, missing option", () => {
    expectCleanError(
      attnlens("extract", bert.modelPath, "--feeds", feedsFile, "--out", path.join(tmp, "y"), "--providers", "tpu"),
      /unknown execution provider "tpu"/,
    );
    const unknown = attnlens("frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    expectCleanError(
      attnlens("extract", bert.modelPath, "--out", path.join(tmp, "z")),
      /--feeds FEEDS.json is required/,
    );
  });
});
