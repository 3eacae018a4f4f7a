import { describe, expect, it } from "vitest";
import { sampleResult } from "../payload/sample";
import { reportSections } from "./export";
import { isLongInput } from "./long";

describe("long inputs in reports", () => {
  const long = sampleResult({ layers: 1, heads: 1, tokens: 1100, patterns: ["window"] });
  const short = sampleResult({ layers: 1, heads: 1, tokens: 40 });

  it("reports inputs over longTokens as an overview with tiles, and says the finest zoom level", () => {
    expect(isLongInput(long, {})).toBe(true);
    expect(isLongInput(short, {})).toBe(false);
    expect(isLongInput(long, { maxTokens: 64 })).toBe(false);
    expect(isLongInput(long, { longTokens: 2048 })).toBe(false);
    const [a, b] = reportSections([long, short], { metrics: false, rollout: false });
    const pa = a.payload as { sites: { maps: { bin: number[] } }[]; tiles?: { levels: { bin: number[] }[] } };
    expect(pa.sites[0].maps.bin).toEqual([5, 5]);
    expect(pa.tiles!.levels.map((l) => l.bin[0])).toEqual([3, 2, 1]);
    expect(a.notes).toContain(
      "finest zoom level in this page: exact weights (1 token per cell) (tiles of 256 cells, levels 3, 2, 1)",
    );
    expect((b.payload as { tiles?: unknown }).tiles).toBeUndefined();
  });

  it("keeps the levels that fit tileBytes and names the ones left out", () => {
    const [a] = reportSections([long], { metrics: false, rollout: false, tileBytes: 1_000_000 });
    expect(a.notes).toContain("finest zoom level in this page: 2 tokens per cell (tiles of 256 cells, levels 3, 2)");
    expect(a.notes).toContain(
      "zoom levels left out to stay within the size budget (maxBytes; tileBytes in reports): 1 tokens per cell",
    );
    expect(Buffer.byteLength(JSON.stringify(a.payload))).toBeLessThanOrEqual(1_000_000);
  });
});
