/**
 * The Ray corpus engine end to end (kernel-lib/src/corpus/ray, corpus_ray/) on a two-node Ray
 * cluster simulated on this machine (test/corpus/ray_cluster.py, one cluster for the file):
 * - summary.json equals an independent single-process computation (test/corpus/ray_reference.py: one
 *   input at a time, no padding, numpy formulas over the attention maps, numpy aggregates) within
 *   1e-6 relative; quantiles within the sketch's relative accuracy; counts and problem lines exact;
 * - a worker process killed and the worker node replaced mid-job: the job completes and gives the
 *   same summary, with every input counted exactly once;
 * - DIR/inputs.jsonl against the local engine's: the same input numbers and texts in DATA order, values
 *   within 1e-6 relative; identical after a killed worker and a replaced node, and after a resumed rerun;
 * - a decoder model (causal, start-token sink) against the same reference, and a rerun that resumes.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rayCorpusCommand } from "../../kernel-lib/src/corpus/ray/command";
import { type RayProgress, type RaySummary, runRayCorpus } from "../../kernel-lib/src/corpus/ray/index";
import { attnlens, ROOT } from "../cliRunner";
import { venvPython } from "../pythonEnv";
import { RayCluster } from "./rayCluster";

const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-ray-"));
const cluster = new RayCluster();
const METRICS = ["entropy", "normalizedEntropy", "distance", "confidence", "self", "previous", "next", "first"];
const MASSES = ["cls", "sep", "sink", "punctuation"];
const ALPHA = 0.005;

/** `count` lines of random vocabulary words, with empty, over-long and undecodable lines among them. */
function corpus(model: string, count: number, file: string): { empty: number; tooLongAtMost: number } {
  const tokenizer = JSON.parse(readFileSync(path.join(ROOT, "kernel-lib/models", model, "tokenizer.json"), "utf8"));
  const words = Object.keys(tokenizer.model.vocab).filter((w) => !/^(\[|<|##)/.test(w));
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const lines: Buffer[] = [];
  let empty = 0;
  let tooLongAtMost = 0;
  for (let i = 0; i < count; i++) {
    if (i % 37 === 5) {
      lines.push(Buffer.from(i % 2 ? "" : "   "));
      empty++;
    } else if (i === 100) lines.push(Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe]));
    else {
      const long = i % 23 === 0;
      tooLongAtMost += long ? 1 : 0;
      const n = 1 + random(long ? 90 : 24);
      lines.push(Buffer.from(Array.from({ length: n }, () => words[random(words.length)]).join(" ")));
    }
  }
  writeFileSync(file, Buffer.concat(lines.flatMap((l) => [l, Buffer.from("\n")])));
  return { empty, tooLongAtMost };
}

interface Reference {
  inputs: number;
  skippedBy: Record<string, number>;
  values: Record<string, Record<string, Record<string, (number | null)[]>>>;
}

function reference(bundle: string, family: string, data: string): Reference {
  const out = path.join(tmp, `ref-${path.basename(data)}.json`);
  const r = spawnSync(
    venvPython(),
    [
      path.join(__dirname, "ray_reference.py"),
      path.join(bundle, "model.onnx"),
      path.join(bundle, "tokenizer.json"),
      "64",
      family,
      data,
      out,
    ],
    { encoding: "utf8", timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`reference failed: ${r.stderr}`);
  return JSON.parse(readFileSync(out, "utf8"));
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-9);

interface InputLine {
  input: number;
  text: string;
  values: Record<string, Record<string, (number | null)[]>>;
}

const inputLines = (dir: string): InputLine[] =>
  readFileSync(path.join(dir, "inputs.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));

/**
 * Ray's DIR/inputs.jsonl against the local engine's: the same lines in the same order, the same texts,
 * the same sites and metrics, values within 1e-6 relative (1e-7 absolute near 0). Both sides round to 7
 * significant digits, so float32 noise that straddles a rounding boundary moves a value by one unit in
 * the 7th digit: under 1e-6 of it.
 */
function expectSameInputs(ray: InputLine[], local: InputLine[]): number {
  expect(ray.map((l) => l.input)).toEqual(local.map((l) => l.input));
  let compared = 0;
  ray.forEach((r, i) => {
    const l = local[i];
    expect(r.text, `input ${l.input}`).toBe(l.text);
    expect(Object.keys(r.values)).toEqual(Object.keys(l.values));
    for (const [site, metrics] of Object.entries(l.values)) {
      expect(Object.keys(r.values[site]).sort()).toEqual(Object.keys(metrics).sort());
      for (const [metric, heads] of Object.entries(metrics)) {
        const got = r.values[site][metric];
        expect(got.length).toBe(heads.length);
        heads.forEach((want, h) => {
          const where = `input ${l.input} ${site} head ${h} ${metric}`;
          if (want == null) return expect(got[h], where).toBeNull();
          const x = got[h];
          if (x == null) throw new Error(`${where}: null, local ${want}`);
          expect(Math.abs(x - want), where).toBeLessThanOrEqual(
            Math.max(1e-6 * Math.max(Math.abs(x), Math.abs(want)), 1e-7),
          );
          compared++;
        });
      }
    }
  });
  return compared;
}

/** Every head's every metric against numpy on the reference's per-input values. */
function expectMatches(summary: RaySummary, ref: Reference): void {
  expect(summary.inputs).toBe(ref.inputs);
  expect(summary.skippedBy).toEqual(ref.skippedBy);
  let checked = 0;
  summary.sites.forEach((site, k) => {
    site.heads.forEach((head, h) => {
      for (const metric of [...METRICS, ...MASSES]) {
        const xs = ref.values[k][h][metric].filter((x): x is number => x != null);
        const got = head[metric] as null | {
          n: number;
          mean: number;
          std: number;
          min: number;
          max: number;
          quantiles: Record<string, number>;
        };
        if (xs.length === 0) {
          expect(got?.n, `${site.id} head ${h} ${metric}`).toBe(0);
          continue;
        }
        if (!got) throw new Error(`${site.id} head ${h} ${metric}: missing`);
        const n = xs.length;
        const mean = xs.reduce((s, x) => s + x, 0) / n;
        const std = n > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
        const sorted = [...xs].sort((a, b) => a - b);
        expect(got.n).toBe(n);
        const where = `${site.id} head ${h} ${metric}`;
        expect(relative(got.mean, mean), where).toBeLessThan(1e-6);
        expect(relative(got.std, std), where).toBeLessThan(1e-6);
        expect(relative(got.min, sorted[0]), where).toBeLessThan(1e-6);
        expect(relative(got.max, sorted[n - 1]), where).toBeLessThan(1e-6);
        for (const [q, value] of Object.entries(got.quantiles)) {
          const exact = sorted[Math.floor(Number(q) * (n - 1))];
          // DDSketch: relative accuracy ALPHA (plus the float32 noise of the values themselves).
          expect(Math.abs(value - exact), `${where} q${q}`).toBeLessThanOrEqual(ALPHA * Math.abs(exact) + 1e-6);
        }
        checked++;
      }
    });
  });
  expect(checked).toBeGreaterThan(50);
}

const bertData = path.join(tmp, "bert.txt");
const bertCounts = corpus("tiny-agreement-bert", 400, bertData);
let clean: RaySummary;
let bertReference: Reference;

beforeAll(async () => {
  await cluster.start();
}, 300_000);
afterAll(async () => {
  await cluster.stop();
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe("the Ray corpus engine on a two-node cluster", () => {
  it("equals a single-process numpy computation of the same per-input metrics (1e-6 relative)", async () => {
    const out = path.join(tmp, "clean");
    const events: RayProgress[] = [];
    clean = await runRayCorpus({
      source: "tiny-agreement-bert",
      data: bertData,
      out,
      address: cluster.address,
      workers: 2,
      batch: 16,
      shardBytes: 1500,
      python: venvPython(),
      onProgress: (e) => events.push(e),
    });
    bertReference = reference(path.join(out, "ray-bundle"), "encoder", bertData);
    expect(clean.engine).toBe("ray");
    expectMatches(clean, bertReference);
    expect(clean.skippedBy.empty).toBe(bertCounts.empty);
    expect(clean.skippedBy.undecodable).toBe(1);
    expect(clean.problems).toContainEqual({ line: 101, reason: "bytes that are not UTF-8" });
    expect(clean.problems).toContainEqual({ line: 6, reason: "empty line" });
    expect(clean.skippedBy.tooLong).toBeGreaterThan(0);
    expect(clean.skippedBy.tooLong).toBeLessThanOrEqual(bertCounts.tooLongAtMost);
    expect(clean.inputs + clean.skipped).toBe(400);
    const state = JSON.parse(readFileSync(path.join(out, "state.json"), "utf8"));
    expect(state.consumed).toBe(400);
    expect(events.at(-1)?.event).toBe("done");
    expect(events.filter((e) => e.event === "progress").length).toBe(state.ray.shards);
  }, 240_000);

  it("equals the local engine (attnlens corpus): counts, problems, statistics within 1e-6, sketch buckets exactly", () => {
    const out = path.join(tmp, "local-engine");
    const run = attnlens("corpus", "tiny-agreement-bert", bertData, "--out", out, "--providers", "cpu");
    expect(run.code, run.stderr).toBe(0);
    const local = JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8"));
    expect(clean.inputs).toBe(local.inputs);
    expect(clean.skippedBy).toEqual(local.skippedBy);
    expect(clean.problems).toEqual(local.problems);
    const localState = JSON.parse(readFileSync(path.join(out, "state.json"), "utf8"));
    const rayState = JSON.parse(readFileSync(path.join(tmp, "clean", "state.json"), "utf8"));
    let compared = 0;
    clean.sites.forEach((site, k) => {
      expect(site.id).toBe(local.sites[k].id);
      site.heads.forEach((head, h) => {
        for (const metric of [...METRICS, ...MASSES]) {
          const a = head[metric] as Record<string, number> | null;
          const b = local.sites[k].heads[h][metric];
          if (!a || !b || b.n === 0) {
            expect(a?.n ?? 0, `${site.id} ${h} ${metric}`).toBe(b?.n ?? 0);
            continue;
          }
          expect(a.n).toBe(b.n);
          for (const f of ["mean", "std", "min", "max"])
            expect(relative(a[f], b[f]), `${site.id} ${h} ${metric} ${f}`).toBeLessThan(1e-6);
          expect(rayState.sites[k].heads[h][metric].sketch).toEqual(localState.sites[k].heads[h][metric].sketch);
          compared++;
        }
      });
    });
    expect(compared).toBeGreaterThan(100);
    // DIR/inputs.jsonl (default --inputs typical on both): every measured input, numbered in DATA.
    const rayInputs = inputLines(path.join(tmp, "clean"));
    expect(rayInputs.length).toBe(clean.inputs);
    expect(rayInputs.map((l) => l.input)).toContain(99); // line 100, just before the undecodable line 101
    expect(rayInputs.map((l) => l.input)).not.toContain(100);
    expect(Object.keys(rayInputs[0].values[clean.sites[0].id]).sort()).toEqual([
      "confidence",
      "distance",
      "entropy",
      "sink",
    ]);
    expect(expectSameInputs(rayInputs, inputLines(out))).toBeGreaterThan(clean.inputs * 10);
  }, 120_000);

  it("completes with every input counted once when a worker is killed and the node replaced mid-job", async () => {
    const out = path.join(tmp, "faults");
    const faults: { at: number; shards: number; reply: string }[] = [];
    let sent = Promise.resolve();
    const summary = await runRayCorpus({
      source: "tiny-agreement-bert",
      data: bertData,
      out,
      address: cluster.address,
      workers: 2,
      batch: 16,
      shardBytes: 1500,
      python: venvPython(),
      onProgress: (e) => {
        if (e.event !== "progress") return;
        const fault = e.done === 2 ? "kill-worker" : e.done === 8 ? "replace-node" : null;
        if (fault)
          sent = sent.then(async () => {
            faults.push({ at: e.done, shards: e.shards, reply: await cluster.command(fault) });
          });
      },
    });
    await sent;
    expect(faults.map((f) => f.reply.split(" ")[0])).toEqual(["KILLED", "REPLACED"]);
    // Both faults struck while shards were left to analyse.
    for (const f of faults) expect(f.at).toBeLessThan(f.shards);
    const { engine: _a, ...rest } = summary;
    const { engine: _b, ...expected } = clean;
    expect(rest).toEqual(expected);
    // A retried shard's lines replace the first try's: the file is the clean run's, byte for byte.
    expect(readFileSync(path.join(out, "inputs.jsonl"), "utf8")).toBe(
      readFileSync(path.join(tmp, "clean", "inputs.jsonl"), "utf8"),
    );
    for (const site of summary.sites)
      for (const head of site.heads) expect((head.entropy as { n: number }).n).toBe(bertReference.inputs);
  }, 300_000);
});

describe("the same job in one process", () => {
  const gptData = path.join(tmp, "gpt.txt");
  corpus("tiny-induction-gpt", 200, gptData);

  it("a decoder's causal rows and start-token sink equal the reference; a rerun resumes from its shards", async () => {
    const out = path.join(tmp, "gpt");
    const options = {
      source: "tiny-induction-gpt",
      data: gptData,
      out,
      local: true,
      shardBytes: 1500,
      python: venvPython(),
    };
    const first = await runRayCorpus(options);
    const firstInputs = readFileSync(path.join(out, "inputs.jsonl"), "utf8");
    expectMatches(first, reference(path.join(out, "ray-bundle"), "decoder", gptData));
    // The tokenizer starts every input with <|endoftext|>: a start token, so sink mass is there to compare.
    expect((first.sites[0].heads[0].sink as { mean: number }).mean).toBeGreaterThan(0);
    // A shard is done when its result <k>.json is there (its input lines, <k>.inputs.jsonl, are redone with it).
    const shards = readdirSync(path.join(out, "ray-shards")).filter((f) => /^\d+\.json$/.test(f));
    for (const f of shards.slice(0, Math.floor(shards.length / 2))) unlinkSync(path.join(out, "ray-shards", f));
    const starts: RayProgress[] = [];
    const again = await runRayCorpus({ ...options, onProgress: (e) => starts.push(e) });
    expect(again).toEqual(first);
    // The kept shards' lines come from their stored files, the redone ones' from the new run.
    expect(readFileSync(path.join(out, "inputs.jsonl"), "utf8")).toBe(firstInputs);
    expect(starts[0]).toMatchObject({ event: "start", resumed: shards.length - Math.floor(shards.length / 2) });
  }, 180_000);

  it("cuts over-long inputs to the model's positions when asked, counting them as truncated; --inputs none writes no inputs.jsonl", async () => {
    const out = path.join(tmp, "truncate");
    // An earlier run's file must go: its inputs would be ranked against this run's summary.
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, "inputs.jsonl"), '{"input": 0, "text": "old", "values": {}}\n');
    const cut = await runRayCorpus({
      source: "tiny-agreement-bert",
      data: bertData,
      out,
      local: true,
      truncate: true,
      inputs: "none",
      python: venvPython(),
    });
    expect(existsSync(path.join(out, "inputs.jsonl"))).toBe(false);
    expect(readdirSync(path.join(out, "ray-shards")).filter((f) => f.endsWith(".inputs.jsonl"))).toEqual([]);
    expect(cut.truncated).toBe(clean.skippedBy.tooLong);
    expect(cut.skippedBy.tooLong).toBeUndefined();
    expect(cut.inputs).toBe(clean.inputs + clean.skippedBy.tooLong);
    for (const head of cut.sites[0].heads) expect((head.entropy as { n: number }).n).toBe(cut.inputs);
  }, 120_000);

  it("refuses local-engine options it has no use for, by name", async () => {
    await expect(
      rayCorpusCommand({ source: "tiny-agreement-bert", data: bertData, out: tmp, values: { rows: "parquet" } }),
    ).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: "--rows is not available with --engine ray: the Ray engine writes no per-input rows",
    });
  });

  it("refuses an --inputs mode it does not know, by name", async () => {
    await expect(
      rayCorpusCommand({ source: "tiny-agreement-bert", data: bertData, out: tmp, values: { inputs: "some" } }),
    ).rejects.toMatchObject({ code: "BAD_INPUT", message: '--inputs must be typical, all or none, not "some"' });
  });

  it("refuses an encoder-decoder model before any Python runs", async () => {
    await expect(
      runRayCorpus({ source: "tiny-reverse-encdec", data: gptData, out: path.join(tmp, "encdec") }),
    ).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: expect.stringContaining("the Ray engine analyses encoder-only and decoder-only text models"),
    });
  });
});
