/**
 * attnlens's pattern labels against the objective per-head scores the literature uses (previous-token
 * mass, self mass, [CLS]/[SEP] or start-token mass, Olsson et al.'s prefix-matching score), computed
 * from the raw maps by scripts/label-agreement.mjs, on every self-attention head of the demo models.
 */
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without declarations
import { agreementTable, measureAgreement, THRESHOLDS } from "../../scripts/label-agreement.mjs";

interface Row {
  model: string;
  site: string;
  head: number;
  objective: Set<string>;
  special: number;
  pattern: { components?: { pattern: string; weight: number }[] };
  missed: string[];
  unsupported: string[];
  agrees: boolean;
}

describe("pattern labels vs objective head scores (demo models)", () => {
  it("names every head the scores single out, and claims nothing they contradict", async () => {
    const rows: Row[] = await measureAgreement();
    expect(rows.length).toBe(24); // 4 × 4 BERT heads + 2 × 4 GPT heads
    const disagreements = rows.filter((r) => !r.agrees);
    expect(disagreements, agreementTable(disagreements)).toEqual([]);
    // The scores do single out heads: the documented previous-token and induction heads of the GPT.
    const kinds = (site: string, head: number) => [
      ...(rows.find((r) => r.site === site && r.head === head)?.objective ?? []),
    ];
    expect(kinds("decoder.self.0", 3)).toEqual(["previous"]);
    for (const h of [0, 1, 2, 3]) expect(kinds("decoder.self.1", h)).toEqual(["induction"]);
    expect(THRESHOLDS.induction).toBe(0.4);
    // Where the GPT's heads get a sink component, its weight is the start-token mass measured from the maps.
    const sinks = rows.filter(
      (r) => r.model === "tiny-induction-gpt" && r.pattern.components?.some((c) => c.pattern === "sink"),
    );
    expect(sinks.length).toBeGreaterThanOrEqual(3);
    for (const r of sinks) {
      const w = r.pattern.components?.find((c) => c.pattern === "sink")?.weight ?? Number.NaN;
      expect(Math.abs(w - r.special), `${r.site} h${r.head}`).toBeLessThan(0.05);
    }
  }, 120_000);
});
