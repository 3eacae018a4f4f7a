/**
 * `attnlens corpus` end to end, on the built CLI:
 * - its per-head means equal the mean over inputs of `attnlens metrics`' metrics.json for each input run
 *   alone (extract + metrics), and its pattern counts the labels there;
 * - a job killed with SIGKILL mid-run and rerun gives the summary (and rows) of an uninterrupted run;
 * - a changed model, data file or option refuses to resume, naming what changed; --restart starts over;
 * - bad lines are counted and reported with their numbers; a bad model stops before the first batch.
 */
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { attnlens, ROOT } from "./cliRunner";
import { runPython } from "./pythonEnv";

const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-corpus-"));
const at = (name: string) => path.join(tmp, name);
const json = (file: string) => JSON.parse(readFileSync(file, "utf8"));

/** Sentences of the demo models' vocabulary, of varied lengths (so batches pad). */
function sentences(n: number, seed = 1): string[] {
  const words = "the cat dog keys animal street was were tired big small runs run to is are near".split(" ");
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return Array.from({ length: n }, () =>
    Array.from({ length: 3 + Math.floor(next() * 12) }, () => words[Math.floor(next() * words.length)]).join(" "),
  );
}

describe.each(["tiny-agreement-bert", "tiny-induction-gpt"])("corpus means equal metrics.json on %s", (model) => {
  it("mean over inputs of each input's metrics.json = summary mean; label counts = labels", () => {
    const texts = sentences(7, model.length);
    const data = at(`${model}.txt`);
    writeFileSync(data, `${texts.join("\n")}\n`);
    const out = at(`${model}-out`);
    const r = attnlens("corpus", model, data, "--out", out, "--batch", "3", "--providers", "cpu");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("7 inputs measured, 0 skipped");
    const summary = json(path.join(out, "summary.json"));

    const perInput = texts.map((text, i) => {
      const dir = at(`${model}-one-${i}`);
      const ex = attnlens("extract", model, "--text", text, "--out", dir, "--providers", "cpu");
      expect(ex.code, ex.stderr).toBe(0);
      const m = attnlens("metrics", dir);
      expect(m.code, m.stderr).toBe(0);
      return json(path.join(dir, "metrics.json"));
    });
    expect(summary.sites.map((s: { id: string }) => s.id)).toEqual(perInput[0].sites.map((s: { id: string }) => s.id));
    summary.sites.forEach((site: { heads: Record<string, { mean: number; n: number }>[] }, si: number) => {
      site.heads.forEach((head, h) => {
        for (const key of ["entropy", "distance", "confidence"]) {
          const values = perInput.map((m) => m.sites[si].heads[h][key] as number);
          const mean = values.reduce((a, b) => a + b, 0) / values.length;
          expect(head[key].n).toBe(7);
          // Batched runs pad: the maps differ from single runs by float32 rounding only.
          expect(Math.abs(head[key].mean - mean)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(mean)));
        }
        const labels: Record<string, number> = {};
        for (const m of perInput) {
          const label = m.sites[si].heads[h].pattern.label as string;
          labels[label] = (labels[label] ?? 0) + 1;
        }
        expect((head as unknown as { patterns: Record<string, number> }).patterns).toEqual(labels);
      });
    });
  }, 240_000);
});

/** Runs the CLI in the background; kills it with SIGKILL once state.json shows a checkpoint short of the end. */
function killMidJob(args: string[], stateFile: string, total: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "kernel-lib/bin/attnlens.js"), ...args], {
      stdio: "ignore",
    });
    let killedAt = -1;
    const timer = setInterval(() => {
      if (!existsSync(stateFile)) return;
      try {
        const consumed = json(stateFile).consumed as number;
        if (consumed > 0 && consumed < total) {
          killedAt = consumed;
          child.kill("SIGKILL");
          clearInterval(timer);
        }
      } catch {
        // Never half-written (it is renamed into place); a read error would be a failure below.
      }
    }, 20);
    child.on("exit", (_code, signal) => {
      clearInterval(timer);
      if (signal === "SIGKILL" && killedAt > 0) resolve(killedAt);
      else reject(new Error(`the job ended before it could be killed (signal ${signal})`));
    });
  });
}

describe("resume", () => {
  const texts = sentences(240, 5);
  const lines = texts.map((t, i) => (i % 41 === 7 ? "" : t));
  const data = at("resume.txt");
  writeFileSync(data, `${lines.join("\n")}\n`);
  const args = (out: string, ...more: string[]) => [
    "corpus",
    "tiny-agreement-bert",
    data,
    "--out",
    out,
    "--batch",
    "8",
    "--checkpoint-every",
    "2",
    "--rows",
    "parquet",
    "--providers",
    "cpu",
    ...more,
  ];

  it("a run killed mid-job and rerun gives the summary and rows of an uninterrupted run", async () => {
    const whole = attnlens(...args(at("whole")));
    expect(whole.code, whole.stderr).toBe(0);
    const cut = at("cut");
    const killedAt = await killMidJob(args(cut), path.join(cut, "state.json"), lines.length);
    expect(existsSync(path.join(cut, "summary.json"))).toBe(false);

    // A changed option or data file refuses to resume, naming what changed.
    const other = attnlens(...args(cut).map((a) => (a === "8" ? "4" : a)));
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/was written for another job \(options batch: 8 → 4\); rerun with --restart/);

    const again = attnlens(...args(cut));
    expect(again.code, again.stderr).toBe(0);
    expect(json(path.join(cut, "summary.json"))).toEqual(json(path.join(at("whole"), "summary.json")));
    expect(json(path.join(cut, "state.json")).consumed).toBe(lines.length);
    expect(killedAt).toBeLessThan(lines.length);

    // The rows: one per input × head, none twice, equal to the uninterrupted run's.
    const rows = runPython(
      `
import sys, json, pyarrow.parquet as pq
a = pq.read_table(sys.argv[1]).to_pandas(); b = pq.read_table(sys.argv[2]).to_pandas()
key = ["line", "site", "head"]
print(json.dumps({"n": len(a), "dup": int(a.duplicated(key).sum()), "lines": int(a["line"].nunique()),
  "same": bool(a.sort_values(key).reset_index(drop=True).equals(b.sort_values(key).reset_index(drop=True)))}))
`,
      [path.join(cut, "rows.parquet"), path.join(at("whole"), "rows.parquet")],
    );
    const nonEmpty = lines.filter((l) => l !== "").length;
    const summary = json(path.join(cut, "summary.json"));
    const heads = summary.sites.reduce((n: number, s: { heads: unknown[] }) => n + s.heads.length, 0);
    expect(JSON.parse(rows)).toEqual({ n: nonEmpty * heads, dup: 0, lines: nonEmpty, same: true });
  }, 300_000);

  it("a finished job rerun with a larger --limit goes on, keeping its rows", () => {
    const [grown, once] = [at("grown"), at("once")];
    expect(attnlens(...args(grown, "--limit", "50", "--no-patterns")).code).toBe(0);
    const more = attnlens(...args(grown, "--limit", "130", "--no-patterns"));
    expect(more.code, more.stderr).toBe(0);
    expect(attnlens(...args(once, "--limit", "130", "--no-patterns")).code).toBe(0);
    const [a, b] = [json(path.join(grown, "summary.json")), json(path.join(once, "summary.json"))];
    expect([a.inputs, a.skipped, a.problems]).toEqual([b.inputs, b.skipped, b.problems]);
    a.sites.forEach((s: { heads: Record<string, { mean: number; n: number }>[] }, i: number) =>
      s.heads.forEach((h, k) => {
        expect(h.entropy.n).toBe(b.sites[i].heads[k].entropy.n);
        expect(h.entropy.mean).toBeCloseTo(b.sites[i].heads[k].entropy.mean, 6);
      }),
    );
    const rows = runPython(
      `
import sys, pyarrow.parquet as pq
a = pq.read_table(sys.argv[1]).to_pandas(); b = pq.read_table(sys.argv[2]).to_pandas()
print(len(a), len(b), int(a.duplicated(["line", "site", "head"]).sum()), sorted(set(a["line"])) == sorted(set(b["line"])))
`,
      [path.join(grown, "rows.parquet"), path.join(once, "rows.parquet")],
    );
    const n = lines.slice(0, 130).filter((l) => l !== "").length * 16;
    expect(rows.trim()).toBe(`${n} ${n} 0 True`);
  }, 120_000);

  it("refuses a changed data file, and --restart starts over", () => {
    const out = at("changed");
    expect(attnlens(...args(out, "--limit", "20")).code).toBe(0);
    utimesSync(data, new Date(), new Date(Date.now() + 5000));
    const r = attnlens(...args(out));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/was written for another job \(data stamp: /);
    const restarted = attnlens(...args(out, "--restart", "--limit", "30"));
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(json(path.join(out, "summary.json")).inputs).toBe(lines.slice(0, 30).filter((l) => l !== "").length);
  }, 120_000);
});

describe("bad input", () => {
  it("counts and reports bad lines with their numbers, and over-long inputs as chosen", () => {
    const long = "the cat and the dog near the street were tired and the keys to the cabinet is big";
    const rows = [
      JSON.stringify({ text: "the cat is tired" }),
      "{oops",
      JSON.stringify({ body: "no text field" }),
      JSON.stringify({ text: "" }),
      JSON.stringify({ text: long }),
      JSON.stringify({ text: "the dogs are big" }),
    ];
    const data = at("bad.jsonl");
    writeFileSync(data, Buffer.concat([Buffer.from(`${rows.join("\n")}\n`), Buffer.from([0xc3, 0x28, 0x0a])]));
    const skip = attnlens("corpus", "tiny-agreement-bert", data, "--out", at("bad-skip"), "--max-tokens", "10");
    expect(skip.code, skip.stderr).toBe(0);
    const s = json(path.join(at("bad-skip"), "summary.json"));
    expect([s.inputs, s.skipped, s.truncated]).toEqual([2, 5, 0]);
    expect(s.skippedBy).toEqual({ badJson: 1, empty: 1, missingField: 1, tooLong: 1, undecodable: 1 });
    expect(s.problems.map((p: { line: number }) => p.line)).toEqual([2, 3, 4, 5, 7]);
    expect(s.problems[3].reason).toMatch(/^\d+ tokens, over the limit of 10$/);
    expect(skip.stderr).toContain('line 3: no "text" field');

    const cut = attnlens(
      "corpus",
      "tiny-agreement-bert",
      data,
      "--out",
      at("bad-cut"),
      "--max-tokens",
      "10",
      "--too-long",
      "truncate",
    );
    expect(cut.code, cut.stderr).toBe(0);
    const c = json(path.join(at("bad-cut"), "summary.json"));
    expect([c.inputs, c.skipped, c.truncated]).toEqual([3, 4, 1]);
    expect(c.problems).toContainEqual({ line: 5, reason: "truncated to the token limit" });
  }, 120_000);

  it("stops before the first batch on a bad model or a model without a tokenizer, writing no summary", () => {
    const data = at("ok.txt");
    writeFileSync(data, "the cat\n");
    const none = attnlens("corpus", at("no-such-model"), data, "--out", at("bad-model"));
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split("\n")).toHaveLength(1);
    const bare = path.join(ROOT, "kernel-lib/test/fixtures/bert_like/model.onnx");
    const r = attnlens("corpus", bare, data, "--out", at("no-tokenizer"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^attnlens corpus: error: .*has no tokenizer\.json/);
    expect(existsSync(path.join(at("no-tokenizer"), "summary.json"))).toBe(false);
  }, 60_000);

  it("never writes through a link planted in DIR", () => {
    const data = at("ok.txt");
    const out = at("linked");
    const elsewhere = at("elsewhere");
    mkdirSync(out, { recursive: true });
    mkdirSync(elsewhere, { recursive: true });
    symlinkSync(elsewhere, path.join(out, "rows"));
    const r = attnlens("corpus", "tiny-agreement-bert", data, "--out", out, "--rows", "parquet");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rows is not a folder \(a link or a file\): remove it, or choose another --out/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it("checks its arguments", () => {
    const data = at("ok.txt");
    expect(attnlens("corpus", "tiny-agreement-bert", data).stderr).toContain("--out DIR is required");
    expect(attnlens("corpus", "tiny-agreement-bert", data, "--out", at("x"), "--too-long", "cut").stderr).toContain(
      '--too-long must be skip or truncate, not "cut"',
    );
    expect(attnlens("corpus", "tiny-agreement-bert", data, "--out", at("x"), "--batch", "0").stderr).toContain(
      '--batch takes a whole number ≥ 1, not "0"',
    );
    const ray = attnlens("corpus", "tiny-agreement-bert", data, "--out", at("x"), "--engine", "spark");
    expect(ray.stderr).toContain('--engine must be local or ray, not "spark"');
  });
});
