/**
 * `attnlens expose` end to end: the CLI writes OUT.onnx and OUT.attnlens.json; Python onnxruntime
 * (the project venv) runs OUT.onnx, and the outputs the manifest names hold the fixture's torch
 * reference probabilities (≤ 1e-5) and, with --ingraph-metrics, the metric tensors it describes.
 * Bad input gives one clear line and a non-zero exit code.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeNpy } from "../kernel-lib/src/output/files/npy";
import { openModel } from "../kernel-lib/src/run/openModel";
import { fixtureNames, loadFixture } from "../kernel-lib/test/fixtureFiles";
import { mlpClassifier } from "../kernel-lib/test/syntheticModels";
import { attnlens, ROOT } from "./cliRunner";
import { runPython } from "./pythonEnv";

const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-expose-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs MODEL on FEEDS.json with onnxruntime's CPU provider; writes every output as OUT_DIR/<i>.npy (in output order). */
const RUN = `
import json, os, sys
import numpy as np, onnxruntime as ort
model, feeds_file, out_dir = sys.argv[1:]
feeds = {k: np.array(v["data"], dtype=v["type"]).reshape(v["dims"]) for k, v in json.load(open(feeds_file)).items()}
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
names = [o.name for o in session.get_outputs()]
for i, value in enumerate(session.run(names, feeds)):
    # attnlens's .npy reader takes float32/float64: integer outputs travel as float64 (exact here).
    value = value if np.issubdtype(value.dtype, np.floating) else value.astype(np.float64)
    np.save(os.path.join(out_dir, f"{i}.npy"), np.ascontiguousarray(value))
print(json.dumps(names))
`;

interface Manifest {
  format: string;
  version: number;
  model: string;
  inputs: { name: string }[];
  outputs: { name: string }[];
  attention: { output: string; site: { id: string; heads: number }; dims: string[] | null; dtype: string }[];
  inGraphMetrics?: {
    metrics: string[];
    sites: { site: string; rows: string; heads: string; sources: string; info: string }[];
    rollout: { output: string }[];
  };
  valueNorms?: { site: string; output: string | null; dims: string[]; dtype: string; kind: string | null }[];
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** expose, then run the result in Python onnxruntime: the manifest and each output by name. */
function exposeAndRun(name: string, ...flags: string[]) {
  const fx = loadFixture(name);
  const dir = path.join(tmp, `${name}${flags.join("")}`);
  mkdirSync(dir);
  const out = path.join(dir, "exposed.onnx");
  const r = attnlens("expose", fx.modelPath, "-o", out, ...flags);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const manifest = JSON.parse(readFileSync(path.join(dir, "exposed.attnlens.json"), "utf8")) as Manifest;
  const names = JSON.parse(runPython(RUN, [out, path.join(fx.dir, "feeds.json"), dir])) as string[];
  const output = (n: string) => {
    const i = names.indexOf(n);
    expect(i, `output ${n}`).toBeGreaterThanOrEqual(0);
    return decodeNpy(readFileSync(path.join(dir, `${i}.npy`)));
  };
  return { fx, manifest, names, output };
}

describe.each(fixtureNames())("attnlens expose %s", (name) => {
  it("writes a model whose exposed outputs, run by Python onnxruntime, are torch's probabilities", () => {
    const { fx, manifest, names, output } = exposeAndRun(name);
    expect(manifest.format).toBe("attnlens.exposed-model");
    expect(manifest.model).toBe("exposed.onnx");
    expect(manifest.valueNorms).toBeUndefined(); // only with --value-norms
    expect(manifest.inputs.map((i) => i.name).sort()).toEqual(Object.keys(fx.feeds).sort());
    expect(names).toEqual(
      expect.arrayContaining([...manifest.outputs.map((o) => o.name), ...manifest.attention.map((a) => a.output)]),
    );
    expect(manifest.attention.map((a) => a.site.id)).toEqual(
      fx.expected.sites.map((s) => `${s.stack}.${s.kind}.${s.layer}`),
    );
    for (const [i, want] of fx.expected.sites.entries()) {
      const a = manifest.attention[i];
      const got = output(a.output);
      expect(a.dtype).toBe("float32");
      expect(a.dims?.length, a.site.id).toBe(got.shape.length);
      // The torch reference is [B, H, T, S]; an output whose source axis is not last holds the same numbers transposed.
      if (a.dims?.join() === "batch,heads,target,source") {
        expect(got.shape, a.site.id).toEqual(want.shape);
        expect(maxDiff(got.data, fx.reference(want)), `${a.site.id} max |Δ|`).toBeLessThanOrEqual(1e-5);
      } else {
        expect(a.dims).toContain("source");
        const sorted = (x: Float32Array) => Float32Array.from(x).sort();
        expect(maxDiff(sorted(got.data), sorted(fx.reference(want))), `${a.site.id} max |Δ|`).toBeLessThanOrEqual(1e-5);
      }
    }
  });
});

describe("attnlens expose --ingraph-metrics", () => {
  it("adds the metric outputs the manifest describes, with the layouts it gives", () => {
    const { manifest, output } = exposeAndRun("bert_like", "--ingraph-metrics");
    const metrics = manifest.inGraphMetrics;
    expect(metrics?.sites.map((s) => s.site)).toEqual(manifest.attention.map((a) => a.site.id));
    const [b, t] = [2, 8];
    for (const [i, s] of (metrics?.sites ?? []).entries()) {
      const h = manifest.attention[i].site.heads;
      expect(output(s.rows).shape).toEqual([metrics?.metrics.length, b, h, t]);
      expect(output(s.heads).shape).toEqual([metrics?.metrics.length, h]);
      expect(output(s.sources).shape).toEqual([b, t]);
      // info is [B, H, T, S, causal]; the second sample is padded to length 6 (bert_like's mask).
      expect([...output(s.info).data].map(Number)).toEqual([b, h, t, t, 0]);
      expect([...output(s.sources).data]).toEqual([...Array(t).fill(t), ...Array(6).fill(6), 0, 0]);
    }
    expect(metrics?.rollout.length).toBe(1);
    expect(output(metrics?.rollout[0].output ?? "").shape).toEqual([b, t, t]);
  });
});

describe.each(["bert_like", "bart_like"])("attnlens expose --value-norms %s", (name) => {
  it("adds the norm outputs the manifest lists, equal to openModel(…, { valueNorms: true })'s", async () => {
    const { fx, manifest, output } = exposeAndRun(name, "--value-norms");
    const model = await openModel(fx.modelPath, { providers: ["cpu"], valueNorms: true });
    const ours = (await model.run(fx.feeds)).valueNorms ?? [];
    await model.release();
    expect(ours.length).toBe(manifest.attention.length);
    expect(manifest.valueNorms?.map((n) => n.site)).toEqual(manifest.attention.map((a) => a.site.id));
    for (const [i, listed] of (manifest.valueNorms ?? []).entries()) {
      expect(listed.dims).toEqual(["batch", "heads", "source"]);
      expect(listed.dtype).toBe("float32");
      expect(listed.kind).toBe(ours[i].kind);
      const got = output(listed.output ?? "");
      expect(got.shape, listed.site).toEqual(ours[i].dims);
      expect(maxDiff(got.data, ours[i].data), `${listed.site} max |Δ|`).toBeLessThanOrEqual(1e-6);
    }
  });
});

describe("attnlens expose on a model directory", () => {
  const real = path.join(ROOT, "kernel-lib", "test", "fixtures", "real");

  it("exposes the directory's model file", () => {
    const out = path.join(tmp, "bert-dir.onnx");
    const r = attnlens("expose", path.join(real, "bert"), "-o", out);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(tmp, "bert-dir.attnlens.json"), "utf8")) as Manifest;
    expect(manifest.attention.map((a) => a.site.id)).toEqual(["encoder.self.0", "encoder.self.1"]);
    expect(r.stdout).toMatch(/wrote .*bert-dir\.onnx \(2 attention sites, 2 outputs added\)/);
  });

  it("asks for one file of an encoder-decoder directory", () => {
    const r = attnlens("expose", path.join(real, "bart_split"), "-o", path.join(tmp, "bart.onnx"));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /^attnlens expose: error: .*encoder_model\.onnx, decoder_model\.onnx\): expose each file on its own/,
    );
  });
});

describe("attnlens expose, bad input: one clear line, non-zero exit", () => {
  const bert = loadFixture("bert_like").modelPath;
  const cases: [string, () => string[], RegExp][] = [
    ["missing -o", () => ["expose", bert], /-o OUT\.onnx is required/],
    ["-o not .onnx", () => ["expose", bert, "-o", path.join(tmp, "x.txt")], /must end in \.onnx/],
    [
      "a model with no attention",
      () => {
        const f = path.join(tmp, "mlp.onnx");
        writeFileSync(f, mlpClassifier());
        return ["expose", f, "-o", path.join(tmp, "mlp-exposed.onnx")];
      },
      /no attention found/,
    ],
    ["a missing model", () => ["expose", path.join(tmp, "nope.onnx"), "-o", path.join(tmp, "y.onnx")], /no such file/],
    [
      "a folder that does not exist",
      () => ["expose", bert, "-o", path.join(tmp, "no", "dir", "z.onnx")],
      /folder .* does not exist/,
    ],
    [
      "a target that cannot be written (a directory)",
      () => {
        mkdirSync(path.join(tmp, "taken.onnx"));
        return ["expose", bert, "-o", path.join(tmp, "taken.onnx")];
      },
      /cannot write .*taken\.onnx: EISDIR/,
    ],
    ["the model itself as target", () => ["expose", bert, "-o", bert], /would overwrite the model itself/],
  ];
  it.each(cases)("%s", (_label, args, pattern) => {
    const r = attnlens(...args());
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")[0]).toMatch(/^attnlens expose: error: /);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
