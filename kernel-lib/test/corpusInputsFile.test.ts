/**
 * DIR/inputs.jsonl as analyzeCorpus writes it, on the bundled demo model: each line's values are
 * those of the input run alone and analysed by analyzeResult (the definitions of `attnlens
 * metrics`), for the metrics the mode names; a long text is cut at 1,000 characters, never inside a
 * surrogate pair; a fresh run (inputs: "none" included) removes an earlier run's file.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeCorpus, analyzeResult, loadModel } from "../src";
import { CORPUS_METRICS } from "../src/corpus/aggregate/headAggregate";
import { cutText, INPUT_TEXT_CHARS } from "../src/corpus/engine/inputsWriter";

const TEXTS = ["the cat is tired", "", "the keys to the cabinet are near", "dogs run", "the animal was tired"];

async function drain(it: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of it);
}

const readLines = (dir: string) =>
  readFileSync(path.join(dir, "inputs.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

describe("inputs.jsonl", () => {
  it("holds each input's own per-head values (all metrics with inputs: all), by record number", async () => {
    const model = await loadModel("tiny-agreement-bert", { providers: ["cpu"] });
    const dir = mkdtempSync(path.join(tmpdir(), "attnlens-inputs-"));
    try {
      await drain(analyzeCorpus(model, TEXTS, { out: dir, batch: 2, inputs: "all" }));
      const rows = readLines(dir);
      expect(rows.map((r) => r.input)).toEqual([0, 2, 3, 4]); // record 1 (empty) skipped
      for (const row of rows) {
        expect(row.text).toBe(TEXTS[row.input]);
        const alone = analyzeResult(await model.run(TEXTS[row.input]));
        for (const site of alone.sites) {
          const mass = (h: (typeof site.heads)[number], m: string) =>
            (m in h.mass ? h.mass[m as keyof typeof h.mass] : (h as unknown as Record<string, number>)[m]) ?? null;
          expect(Object.keys(row.values[site.site.id])).toEqual([...CORPUS_METRICS]);
          for (const m of CORPUS_METRICS)
            site.heads.forEach((h, k) => {
              const want = mass(h, m);
              const got = row.values[site.site.id][m][k];
              if (want === null) expect(got).toBeNull();
              else expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want)));
            });
        }
      }

      // The default keeps the typicality metrics; a fresh run replaces the file, "none" removes it.
      await drain(analyzeCorpus(model, TEXTS, { out: dir, batch: 2, restart: true }));
      expect(Object.keys(readLines(dir)[0].values["encoder.self.0"])).toEqual([
        "entropy",
        "distance",
        "confidence",
        "sink",
      ]);
      await drain(analyzeCorpus(model, TEXTS, { out: dir, batch: 2, restart: true, inputs: "none" }));
      expect(existsSync(path.join(dir, "inputs.jsonl"))).toBe(false);
      expect(JSON.parse(readFileSync(path.join(dir, "state.json"), "utf8")).inputsBytes).toBeUndefined();
    } finally {
      await model.release();
    }
  }, 60_000);

  it("a resumed job with a file shorter than its checkpoint refuses, naming --restart", async () => {
    const model = await loadModel("tiny-agreement-bert", { providers: ["cpu"] });
    const dir = mkdtempSync(path.join(tmpdir(), "attnlens-inputs-short-"));
    try {
      await drain(analyzeCorpus(model, TEXTS, { out: dir, batch: 2 }));
      writeFileSync(path.join(dir, "inputs.jsonl"), "");
      await expect(drain(analyzeCorpus(model, TEXTS, { out: dir, batch: 2 }))).rejects.toThrow(
        /inputs\.jsonl is shorter \(0 bytes\) than the checkpoint recorded \(\d+\).*--restart/,
      );
    } finally {
      await model.release();
    }
  });

  it("cuts texts at the bound, never inside a surrogate pair", () => {
    expect(cutText("a".repeat(5))).toBe("aaaaa");
    expect(cutText("a".repeat(INPUT_TEXT_CHARS + 7))).toHaveLength(INPUT_TEXT_CHARS);
    const emoji = `${"a".repeat(INPUT_TEXT_CHARS - 1)}😀tail`; // the pair straddles the bound
    expect(cutText(emoji)).toBe("a".repeat(INPUT_TEXT_CHARS - 1));
  });
});
