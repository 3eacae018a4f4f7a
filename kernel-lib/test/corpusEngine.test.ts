/**
 * analyzeCorpus in code, on the bundled demo model: sentence pairs given as objects give the per-head
 * means of analyzeResult on each pair run alone; progress events count up and the last carries the
 * summary; patterns: false leaves the metrics as they were; inputs without an output directory write
 * nothing; a model without a tokenizer stops before the first batch.
 */
import { describe, expect, it } from "vitest";
import { analyzeCorpus, analyzeResult, type CorpusProgress, loadModel, type Probe, probe } from "../src";
import { headValues } from "../src/corpus/engine/inputValues";
import { TextModel } from "../src/run/textModel";

const PAIRS = [
  { text: "the cat is tired", pair: "the dogs are big" },
  { text: "the keys to the cabinet are near", pair: "it runs" },
  { text: "a dog", pair: null },
  { text: "the animal was tired because it runs to the street", pair: "the cat" },
  { text: "dogs run", pair: "the street is big and the keys are small" },
];

async function collect(it: AsyncIterable<CorpusProgress>): Promise<CorpusProgress[]> {
  const events: CorpusProgress[] = [];
  for await (const e of it) events.push(e);
  return events;
}

describe("analyzeCorpus", () => {
  it("pairs: means of each input's own analysis; progress counts up to the summary", async () => {
    const model = await loadModel("tiny-agreement-bert", { providers: ["cpu"] });
    try {
      const events = await collect(analyzeCorpus(model, PAIRS, { batch: 2 }));
      expect(events.map((e) => e.done)).toEqual([2, 4, 5]);
      expect(events.map((e) => e.batches)).toEqual([1, 2, 3]);
      const summary = events.at(-1)?.summary;
      expect(summary?.inputs).toBe(5);
      expect(summary?.data).toBe("(iterable)");

      const alone = [];
      for (const p of PAIRS) alone.push(analyzeResult(await model.run({ source: [p.text], pair: [p.pair] })));
      summary?.sites.forEach((site, si) => {
        site.heads.forEach((head, h) => {
          for (const key of ["entropy", "sep", "cls", "sink", "punctuation", "first"] as const) {
            const values = alone.map((a) => headValues(a.sites[si].heads[h])[key]).filter((v) => v != null) as number[];
            expect(head[key].n).toBe(values.length);
            const mean = values.reduce((a, b) => a + b, 0) / values.length;
            expect(Math.abs((head[key].mean as number) - mean)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(mean)));
          }
          const labels: Record<string, number> = {};
          for (const a of alone)
            labels[a.sites[si].patterns[h].label] = (labels[a.sites[si].patterns[h].label] ?? 0) + 1;
          expect(head.patterns).toEqual(labels);
        });
      });

      const plain = (await collect(analyzeCorpus(model, PAIRS, { batch: 2, patterns: false }))).at(-1)?.summary;
      plain?.sites.forEach((site, si) =>
        site.heads.forEach((head, h) => {
          expect(head.entropy).toEqual(summary?.sites[si].heads[h].entropy);
          expect(head.patterns).toEqual({});
        }),
      );
    } finally {
      await model.release();
    }
  }, 120_000);

  it("counts probe rules per head over the inputs that have the rule's words", async () => {
    const texts = ["the cat is tired", "a dog runs", "the cat runs to the cat", "the keys are near", "cat the is"];
    const model = await loadModel("tiny-agreement-bert", { providers: ["cpu"] });
    try {
      const rule = (p: Probe) => p.from("is").to("cat").atLeast(0.3);
      const events = await collect(analyzeCorpus(model, texts, { batch: 3, probes: { "is→cat": rule } }));
      const summary = events.at(-1)?.summary;
      // Independently: the probe on each text run alone; texts without "is" do not count.
      const want = new Map<string, { pass: number; n: number }>();
      for (const text of texts) {
        if (!text.split(" ").includes("is")) continue;
        for (const h of probe(await model.run(text))
          .from("is")
          .to("cat")
          .atLeast(0.3).heads) {
          const c = want.get(`${h.site}/${h.head}`) ?? { pass: 0, n: 0 };
          c.n++;
          if (h.holds > 0) c.pass++;
          want.set(`${h.site}/${h.head}`, c);
        }
      }
      let counted = 0;
      for (const site of summary?.sites ?? [])
        for (const head of site.heads) {
          expect(head.probes["is→cat"]).toEqual(want.get(`${site.id}/${head.head}`));
          counted += head.probes["is→cat"].n;
        }
      expect(counted).toBe(16 * 2);
    } finally {
      await model.release();
    }
  }, 120_000);

  it("stops before the first batch on a model without a tokenizer", async () => {
    const model = await loadModel("tiny-agreement-bert", { providers: ["cpu"] });
    const bare = new TextModel(
      (model as unknown as { engine: ConstructorParameters<typeof TextModel>[0] }).engine,
      model.info,
      null,
    );
    const it = analyzeCorpus(bare, ["the cat"]);
    await expect(it.next()).rejects.toMatchObject({
      code: "MISSING_FILES",
      message: expect.stringContaining("has no tokenizer.json"),
    });
    await model.release();
  });
});
