/**
 * `attnlens extract SOURCE --features FEATURES.npy` on the Whisper export: one clip's maps equal
 * transformers' (sample 0 of the reference batch), tokens.json holds the frame times and the target tokens;
 * wrong features and mixed inputs are one error line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { decodeNpy, encodeNpy } from "../../kernel-lib/src/output/files/npy";
import { attnlens } from "../cliRunner";
import { maxDiffOnQueries, refCase, refMap } from "./refModels";

const c = refCase("whisper");
const run = c.runs[0];
const extra = run.extra as { targets: string[]; target_tokens: string[][]; greedy_ids: number[][] };
const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-cli-features-"));
const all = decodeNpy(readFileSync(path.join(c.dir, run.feeds["encoder_model.onnx"].input_features.npy as string)));
const [, mel, frames] = all.shape;
const clipFile = path.join(tmp, "clip0.npy");
writeFileSync(clipFile, encodeNpy(all.data.subarray(0, mel * frames), [1, mel, frames]));

/** Sample 0 of a reference map [B, H, T, S]. */
function firstSample(data: Float32Array, shape: number[]): Float32Array {
  return data.subarray(
    0,
    shape.slice(1).reduce((a, b) => a * b, 1),
  );
}

describe("extract --features", () => {
  it("writes transformers' maps for one clip and the frame times as source tokens", () => {
    const out = path.join(tmp, "out");
    const r = attnlens(
      "extract",
      path.join(c.dir, "onnx"),
      "--features",
      clipFile,
      "--target",
      extra.targets[0],
      "--out",
      out,
      "--providers",
      "cpu",
    );
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8"));
    const want = [...run.sites["encoder_model.onnx"], ...run.sites["decoder_model.onnx"]];
    expect(manifest.sites.map((s: { id: string }) => s.id)).toEqual(want.map((s) => s.id));
    for (const [i, w] of want.entries()) {
      const got = decodeNpy(readFileSync(path.join(out, manifest.sites[i].file)));
      expect(got.shape).toEqual([1, ...w.shape.slice(1)]);
      expect(maxDiffOnQueries(got.data, firstSample(refMap(c, w), w.shape), got.shape), w.id).toBeLessThanOrEqual(
        c.tolerance,
      );
    }
    const tokens = JSON.parse(readFileSync(path.join(out, "tokens.json"), "utf8"));
    expect(tokens.target).toEqual(extra.target_tokens[0]);
    expect(tokens.source.slice(0, 3)).toEqual(["0.00 s", "0.02 s", "0.04 s"]);
  });

  it("wrong features and mixed inputs are one error line", () => {
    const long = path.join(tmp, "long.npy");
    writeFileSync(long, encodeNpy(new Float32Array(mel * 3000), [1, mel, 3000]));
    const r = attnlens("extract", path.join(c.dir, "onnx"), "--features", long, "--out", path.join(tmp, "x"));
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`input_features of shape [batch, ${mel}, ${frames}]`);
    const both = attnlens("extract", path.join(c.dir, "onnx"), "--features", clipFile, "--text", "a", "--out", tmp);
    expect(both.stderr).toMatch(/^attnlens extract: error: give one of --feeds, --text and --features/);
  });
});
