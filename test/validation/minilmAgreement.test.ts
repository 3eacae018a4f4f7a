/**
 * attnlens's pattern labels against the objective per-head scores of the literature on the real
 * pretrained all-MiniLM-L6-v2 (the reference harness's fp32 export) over real sentences, measured by
 * scripts/label-agreement.mjs from the raw maps. Needs the export: `.venv/bin/python -m refmodels
 * build --only minilm-fp32` (the script fails with that instruction when it is missing).
 */
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without declarations
import { agreementTable, MINILM, measureAgreement, REAL_TEXTS } from "../../scripts/label-agreement.mjs";

interface Row {
  site: string;
  head: number;
  objective: Set<string>;
  previous: number;
  special: number;
  pattern: { label: string; components?: { pattern: string; weight: number }[] };
  agrees: boolean;
}

describe("pattern labels vs objective head scores (pretrained MiniLM, real sentences)", () => {
  it("names every head the scores single out, and claims nothing they contradict", async () => {
    const rows: Row[] = await measureAgreement(undefined, MINILM);
    expect(REAL_TEXTS.length).toBeGreaterThanOrEqual(10);
    expect(rows.length).toBe(72); // 6 layers × 12 heads
    const disagreements = rows.filter((r) => !r.agrees);
    expect(disagreements, agreementTable(disagreements)).toEqual([]);
    // The scores do single out heads on real maps: [CLS]/[SEP] heads (Clark et al. 2019) in most
    // layers, and layer 0's previous-token head, which the label names as such.
    const special = rows.filter((r) => r.objective.has("special"));
    expect(special.length).toBeGreaterThanOrEqual(20);
    const previous = rows.filter((r) => r.objective.has("previous"));
    expect(previous.map((r) => `${r.site} h${r.head}`)).toEqual(["encoder.self.0 h2"]);
    expect(previous[0].pattern.label).toBe("previous");
    // A head the scores call neither previous nor special gets no such claim: on the heads with
    // special mass under a quarter, no vertical label and no sink component of half the mass or more.
    const unspecial = rows.filter((x) => x.special < 0.25);
    expect(unspecial.length).toBeGreaterThanOrEqual(3);
    for (const r of unspecial) {
      expect(r.pattern.label, `${r.site} h${r.head}`).not.toBe("vertical");
      const sink = r.pattern.components?.find((c) => c.pattern === "sink")?.weight ?? 0;
      expect(sink, `${r.site} h${r.head}`).toBeLessThan(0.5);
    }
  }, 120_000);
});
