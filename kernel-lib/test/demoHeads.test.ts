/**
 * The heads each demo model's card documents (heads.json, measured in torch on held-out data)
 * are found by attnlens itself: the pattern classifier labels the induction model's heads, probes
 * reproduce the agreement model's torch weights and find exactly its documented pronoun heads, and
 * the reversal model's alignment.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { demoModelsDir, headPatterns, loadModel, probe } from "../src";

const heads = (name: string) => JSON.parse(readFileSync(path.join(demoModelsDir(), name, "heads.json"), "utf8"));
const reference = (name: string) =>
  JSON.parse(readFileSync(path.join(demoModelsDir(), name, "reference.json"), "utf8")).probe;

interface Role {
  stack: string;
  kind: string;
  layer: number;
  head: number;
  role: string;
  score: number;
}

interface SentenceProbe {
  text: string;
  pair?: string | null;
  tokens: string[];
}
interface TorchHead {
  layer: number;
  head: number;
  to_antecedent: number;
  to_distractor: number;
}
interface PronounProbe extends SentenceProbe {
  pronoun_index: number;
  antecedent_index: number;
  distractor_index: number;
  class_head: TorchHead;
  heads_preferring_antecedent: TorchHead[];
}
interface AgreementProbe extends SentenceProbe {
  verb_index: number;
  subject_index: number;
  attractor_index: number;
  best_head: { layer: number; head: number; to_subject: number; to_attractor: number };
}

describe("documented demo-model heads are found by attnlens", () => {
  it("tiny-induction-gpt: the previous-token and induction heads get those pattern labels", async () => {
    const roles: Role[] = heads("tiny-induction-gpt").roles;
    const model = await loadModel("tiny-induction-gpt", { providers: ["cpu"] });
    const result = await model.run(reference("tiny-induction-gpt").text);
    await model.release();
    const want = { "previous-token": "previous", induction: "induction" } as Record<string, string>;
    for (const r of roles) {
      const site = result.sites.find((s) => s.id === `${r.stack}.${r.kind}.${r.layer}`);
      expect(site, r.role).toBeDefined();
      const pattern = headPatterns(result, site!)[r.head];
      expect(`${site?.id} h${r.head} ${pattern.label}`).toBe(`${site?.id} h${r.head} ${want[r.role]}`);
    }
  });

  it("tiny-induction-gpt: heads documented as not previous-token / not induction do not get those labels", async () => {
    // heads.json head_scores: torch's previous-token mass (random text) and induction score per [layer][head].
    const scores = heads("tiny-induction-gpt").head_scores;
    const model = await loadModel("tiny-induction-gpt", { providers: ["cpu"] });
    const result = await model.run(reference("tiny-induction-gpt").text);
    await model.release();
    let checked = 0;
    result.sites.forEach((site, layer) => {
      headPatterns(result, site).forEach((p, h) => {
        const named = p.combined.split("+");
        if (scores.previous_token_random_text[layer][h] < 0.3) {
          expect(`${site.id} h${h} ${named.includes("previous")}`).toBe(`${site.id} h${h} false`);
          checked++;
        }
        if (scores.induction[layer][h] < 0.3) {
          expect(`${site.id} h${h} ${named.includes("induction")}`).toBe(`${site.id} h${h} false`);
          checked++;
        }
      });
    });
    // 7 heads are not previous-token heads, 4 are not induction heads.
    expect(checked).toBe(11);
  });

  it("tiny-agreement-bert: probe weights equal torch's (heads.json) and find exactly the documented heads", async () => {
    // heads.json lists, per probe sentence, the torch weights of the class head and of every head
    // preferring the antecedent by > 0.1: attnlens (onnxruntime) must give the same weights, and
    // moreThan(distractor, 0.1) must find exactly those heads (no more, no fewer).
    const TORCH = 0.005;
    const h = heads("tiny-agreement-bert");
    const model = await loadModel("tiny-agreement-bert", { providers: ["cpu"] });
    const id = (l: number, head: number) => `encoder.self.${l} h${head}`;
    expect(h.probes.length + h.agreement_probes.length).toBe(11);
    for (const p of h.probes as PronounProbe[]) {
      const result = await model.run(p.pair ? { source: p.text, pair: p.pair } : p.text);
      expect(result.tokens?.source?.[0].map((t) => t.text)).toEqual(p.tokens);
      const found = probe(result).from(p.pronoun_index).to(p.antecedent_index).moreThan(p.distractor_index, 0.1);
      const want = p.heads_preferring_antecedent.map((x) => id(x.layer, x.head));
      expect(found.matches.map((m) => `${m.site} h${m.head}`).sort(), `${p.text}\n${found.summary}`).toEqual(
        [...want].sort(),
      );
      const all = probe(result).from(p.pronoun_index).to(p.antecedent_index).moreThan(p.distractor_index, 0);
      const weights = probe(result).from(p.pronoun_index).to(p.antecedent_index).weights();
      const distractor = probe(result).from(p.pronoun_index).to(p.distractor_index).weights();
      const at = (list: typeof weights, l: number, head: number) =>
        list.find((m) => m.layer === l && m.head === head)?.weight ?? Number.NaN;
      for (const x of [...p.heads_preferring_antecedent, p.class_head]) {
        expect(Math.abs(at(weights, x.layer, x.head) - x.to_antecedent)).toBeLessThan(TORCH);
        expect(Math.abs(at(distractor, x.layer, x.head) - x.to_distractor)).toBeLessThan(TORCH);
      }
      // the class head prefers the antecedent far beyond chance
      const cls = all.matches.find((m) => m.layer === p.class_head.layer && m.head === p.class_head.head);
      expect(cls?.ratio, p.text).toBeGreaterThan(10);
    }
    for (const p of h.agreement_probes as AgreementProbe[]) {
      const result = await model.run(p.text);
      expect(result.tokens?.source?.[0].map((t) => t.text)).toEqual(p.tokens);
      const b = p.best_head;
      const [w] = probe(result)
        .inSites(`encoder.self.${b.layer}`)
        .inHeads(b.head)
        .from(p.verb_index)
        .to(p.subject_index)
        .moreThan(p.attractor_index).matches;
      expect(w, `${p.text}: ${id(b.layer, b.head)} prefers the subject by more than chance`).toBeDefined();
      expect(Math.abs(w.weight - b.to_subject)).toBeLessThan(TORCH);
      expect(Math.abs((w.other ?? Number.NaN) - b.to_attractor)).toBeLessThan(TORCH);
    }
    await model.release();
  });

  it("tiny-agreement-bert: on the seed sentence `it` attends to `animal`, not `street`, in the documented head", async () => {
    const model = await loadModel("tiny-agreement-bert", { providers: ["cpu"] });
    const result = await model.run("The animal didn't cross the street because it was too tired.");
    await model.release();
    const strong = probe(result).from("it").to("animal").atLeast(0.9);
    expect(strong.matches.map((m) => `${m.site} h${m.head}`)).toContain("encoder.self.3 h3");
    const wrong = probe(result).inSites("encoder.self.3").inHeads(3).from("it").to("street").atLeast(0.1);
    expect(wrong.matches).toEqual([]);
  });

  it("tiny-reverse-encdec: the documented cross-attention heads follow the reversal alignment", async () => {
    const roles: Role[] = heads("tiny-reverse-encdec").roles.filter((r: Role) =>
      r.role.startsWith("alignment (source token being produced)"),
    );
    const ref = reference("tiny-reverse-encdec");
    const model = await loadModel("tiny-reverse-encdec", { providers: ["cpu"] });
    const result = await model.generate(ref.source_text, { maxNewTokens: ref.generated_ids.length });
    await model.release();
    const n = ref.source_tokens.length - 1; // words, without </s>
    for (const r of roles) {
      // Target position t (fed token t, producing output t) attends to the source word it outputs: n − 1 − t.
      let hits = 0;
      for (let t = 0; t < n; t++) {
        const w = probe(result)
          .inSites(`decoder.cross.${r.layer}`)
          .inHeads(r.head)
          .from(t)
          .to(n - 1 - t)
          .weights()[0];
        const others = Array.from({ length: n }, (_, j) => j)
          .filter((j) => j !== n - 1 - t)
          .map(
            (j) => probe(result).inSites(`decoder.cross.${r.layer}`).inHeads(r.head).from(t).to(j).weights()[0].weight,
          );
        if (w.weight > Math.max(...others)) hits++;
      }
      expect(hits / n, `decoder.cross.${r.layer} h${r.head}`).toBeGreaterThanOrEqual(r.score - 0.2);
    }
  });
});
