/**
 * The ready probe suites on the demo model tiny-agreement-bert, checked against its card's torch
 * measurements (heads.json, held-out data): the documented heads top each group's table and hold
 * in (nearly) every sentence and pass the sign-flip test across sentences after Holm's correction;
 * heads torch found at or below a coin flip for the class stay there and do not pass it.
 * The view is a Vega-Lite spec that vega-lite compiles.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { compile } from "vega-lite";
import { beforeAll, describe, expect, it } from "vitest";
import { demoModelsDir, loadModel } from "../src";
import { runProbeSuite, type SuiteTable } from "../src/analysis/probes/runSuite";
import { agreementSuite, pronounSuite } from "../src/analysis/probes/suites";
import { suiteSpec } from "../src/analysis/probes/suiteView";

interface Role {
  layer: number;
  head: number;
  role: string;
  condition: string | null;
  win_rate: number;
}
const card = JSON.parse(readFileSync(path.join(demoModelsDir(), "tiny-agreement-bert", "heads.json"), "utf8"));
const roles: Role[] = card.roles;
const GROUPS = [
  {
    group: "verb → subject, not the attractor",
    sentences: 36,
    documented: roles.filter((r) => r.role === "verb->subject"),
    torchWins: card.head_scores.verb_subject_win_rate as number[][],
  },
  {
    group: "pronoun → animate antecedent",
    sentences: 10,
    documented: roles.filter((r) => r.role === "pronoun->antecedent" && r.condition?.includes("is animate")),
    torchWins: card.head_scores.pronoun_antecedent_win_rate_animate as number[][],
  },
  {
    group: "pronoun → inanimate antecedent",
    sentences: 10,
    documented: roles.filter((r) => r.role === "pronoun->antecedent" && r.condition?.includes("inanimate")),
    torchWins: card.head_scores.pronoun_antecedent_win_rate_inanimate as number[][],
  },
];

describe("probe suites on tiny-agreement-bert", () => {
  let tables: SuiteTable[] = [];
  beforeAll(async () => {
    const model = await loadModel("tiny-agreement-bert", { providers: ["cpu"] });
    tables = [await runProbeSuite(model, agreementSuite()), await runProbeSuite(model, pronounSuite())];
    await model.release();
  }, 120_000);

  it("per-head tables agree with the card's torch measurements", () => {
    const groups = tables.flatMap((t) => t.groups);
    expect(groups.map((g) => [g.group, g.sentences])).toEqual(GROUPS.map((g) => [g.group, g.sentences]));
    for (const want of GROUPS) {
      const g = groups.find((x) => x.group === want.group);
      expect(g?.heads).toHaveLength(16);
      const rate = (l: number, h: number) => g?.heads.find((r) => r.layer === l && r.head === h);
      const text = String(tables.find((t) => t.groups.includes(g!)));
      // the table's first row is a documented head, holding in every sentence
      const top = g!.heads[0];
      expect(
        want.documented.map((r) => `${r.layer}.${r.head}`),
        text,
      ).toContain(`${top.layer}.${top.head}`);
      expect(top.holds).toBe(want.sentences);
      for (const r of want.documented) {
        const got = rate(r.layer, r.head);
        // torch's win rate (≥ 0.9 for a documented head) is inside or below our 95 % interval
        expect(got?.high, `${want.group}: layer ${r.layer} head ${r.head}\n${text}`).toBeGreaterThanOrEqual(
          r.win_rate - 0.05,
        );
        expect(got?.fraction).toBeGreaterThanOrEqual(0.8);
        if (r.win_rate === 1) expect(got?.holds).toBe(want.sentences);
        // the preference holds across the sentences: significant after Holm over the group's 16 heads
        expect(got?.pAdjusted, `${want.group}: layer ${r.layer} head ${r.head}\n${text}`).toBeLessThan(0.05);
      }
      expect(g?.test).toMatchObject({ comparisons: 16, sentences: want.sentences, statistic: "weight − other" });
      want.torchWins.forEach((row, l) =>
        row.forEach((wins, h) => {
          if (wins >= 0.5) return;
          expect(rate(l, h)?.fraction, `${want.group}: layer ${l} head ${h}\n${text}`).toBeLessThanOrEqual(0.5);
          expect(rate(l, h)?.pAdjusted, `${want.group}: layer ${l} head ${h}\n${text}`).toBeGreaterThanOrEqual(0.05);
        }),
      );
    }
    expect(String(tables[1])).toContain("pronoun → animate antecedent, 10 sentences:");
    expect(String(tables[1])).toMatch(/encoder\.self\.3 h3 +10\/10 +1\.00 +0\.72–1\.00/);
  });

  it("an empty suite is one clear error", async () => {
    const model = { run: async () => tables[0] as never };
    await expect(runProbeSuite(model, { name: "mine", cases: [] })).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: 'probe suite "mine" has no sentences',
    });
  });

  it("the view is a Vega-Lite spec with one cell per group and head", () => {
    const spec = suiteSpec(tables[1]);
    const values = (spec.data as { values: Array<{ group: string; fraction: number }> }).values;
    expect(values).toHaveLength(32);
    expect(values.filter((v) => v.group === "pronoun → animate antecedent")).toHaveLength(16);
    const vega = compile(spec as never).spec;
    expect(JSON.stringify(vega.data)).toContain("pronoun → inanimate antecedent");
  });
});
