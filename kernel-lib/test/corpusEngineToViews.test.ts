/**
 * The views read what the engine writes: analyzeCorpus on the GPT-style demo model with patterns off
 * (so the next-token mass is undefined on every input, the model being causal, and every pattern table is empty), then
 * corpusPayload on its directory. The payload offers exactly the metrics some head measured (as
 * summary.json's n says), no pattern chart, each site's stats equal to summary.json's, and a note that
 * the default inputs.jsonl holds only the typicality metrics.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeCorpus, corpusPayload, loadModel } from "../src";

const TEXTS = ["the cat is tired", "the keys to the cabinet are near", "dogs run to the street", "the animal was big"];

describe("engine output → corpus payload", () => {
  it("offers the measured metrics only, no empty pattern chart, the summary's numbers", async () => {
    const model = await loadModel("tiny-induction-gpt", { providers: ["cpu"] });
    const dir = mkdtempSync(path.join(tmpdir(), "attnlens-engine-views-"));
    try {
      for await (const _ of analyzeCorpus(model, TEXTS, { out: dir, batch: 3, patterns: false }));
    } finally {
      await model.release();
    }
    const summary = JSON.parse(readFileSync(path.join(dir, "summary.json"), "utf8"));
    type Stat = { n: number; mean: number | null; std: number | null; quantiles: Record<string, number | null> };
    const heads = summary.sites.flatMap((s: { heads: Record<string, Stat>[] }) => s.heads);
    const measured = Object.keys(heads[0]).filter(
      (m) =>
        heads[0][m] &&
        typeof heads[0][m] === "object" &&
        "n" in heads[0][m] &&
        heads.some((h: Record<string, Stat>) => h[m].n > 0),
    );
    expect(heads.some((h: Record<string, Stat>) => h.next.n === 0 && h.next.mean === null)).toBe(true);

    const p = await corpusPayload(dir);
    expect([...p.metrics].sort()).toEqual([...measured].sort());
    expect(p.metrics).not.toContain("next");
    for (const site of p.sites) expect(site.patterns).toBeUndefined();
    p.sites.forEach((site, i) =>
      site.stats.entropy.forEach((st, k) => {
        const want = summary.sites[i].heads[k].entropy as Stat;
        expect(site.id).toBe(summary.sites[i].id);
        expect([st?.n, st?.mean, st?.std]).toEqual([want.n, want.mean, want.std]);
        expect(st?.q).toEqual(["0.05", "0.25", "0.5", "0.75", "0.95"].map((q) => want.quantiles[q]));
      }),
    );
    expect(p.notes).toContain(
      "inputs.jsonl holds entropy, distance, confidence, sink per input: an opened input shows those metrics " +
        "(attnlens corpus --inputs all writes every metric)",
    );
    expect(p.examples?.inputs.length).toBeGreaterThan(0);
  }, 60_000);
});
