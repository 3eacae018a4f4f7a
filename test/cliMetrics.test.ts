/**
 * `attnlens metrics DIR` on extract directories: metrics.json, rollout.npy and flow.npy equal
 * what the library computes from the same model run in memory.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeResult, attentionFlow, metricsJson, openModel, rollout } from "../kernel-lib/src";
import { readExtraction } from "../kernel-lib/src/output/files/extractionDir";
import { decodeNpy } from "../kernel-lib/src/output/files/npy";
import { loadFixture } from "../kernel-lib/test/fixtureFiles";
import { attnlens, extractOnCpu } from "./cliRunner";

const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-metrics-"));

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number) {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  expect(max).toBeLessThanOrEqual(tol);
}

describe.each(["bert_like", "gpt2_like", "bart_like"])("attnlens metrics on %s", (name) => {
  const fx = loadFixture(name);
  const dir = path.join(tmp, name);

  it("writes metrics.json, rollout.npy and flow.npy equal to the in-memory computation", async () => {
    const ex = extractOnCpu(fx.modelPath, path.join(fx.dir, "feeds.json"), dir);
    expect(ex.code, ex.stderr).toBe(0);
    const r = attnlens("metrics", dir, "--rollout", "--flow", "--patterns");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(""); // no note of onnxruntime's about attnlens's own graphs
    expect(r.stdout).toMatch(/site\s+h0\s+h1/);

    const model = await openModel(fx.modelPath, { providers: ["cpu"] });
    const result = await model.run(fx.feeds);
    await model.release();
    const json = JSON.parse(readFileSync(path.join(dir, "metrics.json"), "utf8"));
    const want = JSON.parse(JSON.stringify(metricsJson(analyzeResult(result))));
    expect(json.sites.map((s: { id: string }) => s.id)).toEqual(result.sites.map((s) => s.id));
    json.sites.forEach(
      (
        site: { heads: { entropy: number; distance: number; confidence: number; pattern: { label: string } }[] },
        i: number,
      ) => {
        site.heads.forEach((h, k) => {
          const w = want.sites[i].heads[k];
          expect(h.entropy).toBeCloseTo(w.entropy, 9);
          expect(h.distance).toBeCloseTo(w.distance, 9);
          expect(h.confidence).toBeCloseTo(w.confidence, 9);
          expect(h.pattern.label).toBe(w.pattern.label);
        });
      },
    );
    const roll = decodeNpy(readFileSync(path.join(dir, "rollout.npy")));
    const rw = rollout(result);
    expect(roll.shape).toEqual(rw.dims);
    expectClose(roll.data, rw.data, 1e-6);
    const flow = decodeNpy(readFileSync(path.join(dir, "flow.npy")));
    const fw = attentionFlow(result);
    expect(flow.shape).toEqual(fw.dims);
    expectClose(flow.data, fw.data, 1e-6);
  });
});

describe("attnlens metrics on one sentence (every row valid: the whole stack in one onnxruntime run)", () => {
  it.each(["tiny-agreement-bert", "tiny-induction-gpt"])(
    "%s: rollout.npy is the reference rollout, and nothing is printed on stderr",
    (model) => {
      const dir = path.join(tmp, `${model}-one`);
      const ex = attnlens("extract", model, "--text", "the dogs near the old tree run home", "--out", dir);
      expect(ex.code, ex.stderr).toBe(0);
      const r = attnlens("metrics", dir, "--rollout");
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe(""); // no note of onnxruntime's about attnlens's own graphs
      const got = decodeNpy(readFileSync(path.join(dir, "rollout.npy")));
      const { result } = readExtraction(dir);
      expectClose(got.data, rollout(result, { kernel: "js" }).data, 1e-6);
    },
  );
});

describe("attnlens metrics errors", () => {
  it("a directory without an extraction says how to make one", () => {
    const r = attnlens("metrics", tmp);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^attnlens metrics: error: .*no manifest\.json.*attnlens extract/);
  });

  it("--tokens and --cut-tokens restrict the flow to a token range and are validated", () => {
    const fx = loadFixture("bert_like");
    const dir = path.join(tmp, "bert_like");
    extractOnCpu(fx.modelPath, path.join(fx.dir, "feeds.json"), dir);
    const ok = attnlens("metrics", dir, "--flow", "--tokens", "0:4");
    expect(ok.code, ok.stderr).toBe(0);
    const bad = attnlens("metrics", dir, "--flow", "--tokens", "4:2");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--tokens must be START:END/);
    const cut = attnlens("metrics", dir, "--flow", "--cut-tokens", "0:4");
    expect(cut.code, cut.stderr).toBe(0);
    const badCut = attnlens("metrics", dir, "--flow", "--cut-tokens", "x");
    expect(badCut.code).toBe(2);
    expect(badCut.stderr).toMatch(/--cut-tokens must be START:END/);
  });
});
