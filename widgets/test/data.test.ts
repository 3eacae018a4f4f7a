import { describe, expect, it } from "vitest";
import { gridData, metricCells } from "../src/data/grid";
import { siteMatrix } from "../src/data/matrix";
import { defaultSelection, normalizeSelection } from "../src/data/selection";
import { mapAt } from "../src/payload";
import { makePayload, TOKENS } from "./makePayload";

const payload = makePayload();
const sel = defaultSelection(payload);

describe("siteMatrix", () => {
  it("shows one head of one sample with the tokens as labels", () => {
    const m = siteMatrix(payload, { ...sel, layer: 1, head: 2 });
    expect([m.R, m.C]).toEqual([6, 6]);
    expect(m.rows.labels).toEqual(TOKENS);
    expect(Array.from(m.values)).toEqual(Array.from(mapAt(payload.sites[1].maps!, 0, 2)));
    expect(m.title).toBe("encoder self-attention · layer 1 · head 2");
  });

  it("leaves padding out", () => {
    const m = siteMatrix(payload, { ...sel, sample: 1 });
    expect([m.R, m.C]).toEqual([4, 4]);
    expect(m.cols.positions).toEqual([0, 1, 2, 3]);
  });

  it("hides special tokens and renormalizes each row", () => {
    const m = siteMatrix(payload, { ...sel, hideSpecial: true });
    expect(m.cols.labels).toEqual(TOKENS.slice(1, 5));
    for (let r = 0; r < m.R; r++) {
      const sum = m.values.subarray(r * m.C, (r + 1) * m.C).reduce((a, b) => a + b);
      expect(sum).toBeCloseTo(1, 5);
    }
    expect(m.note).toMatch(/renormalized/);
  });

  it("fuses heads by mean or max", () => {
    const heads = [0, 1, 2].map((h) => mapAt(payload.sites[0].maps!, 0, h));
    const mean = siteMatrix(payload, { ...sel, head: "mean" });
    const max = siteMatrix(payload, { ...sel, head: "max" });
    expect(mean.values[7]).toBeCloseTo((heads[0][7] + heads[1][7] + heads[2][7]) / 3, 6);
    expect(max.values[7]).toBe(Math.max(heads[0][7], heads[1][7], heads[2][7]));
    expect(mean.measure).toBe("mean weight");
  });
});

describe("selection", () => {
  it("clamps to what the payload has", () => {
    expect(normalizeSelection(payload, { layer: 9, head: 7, sample: 5 })).toMatchObject({
      layer: 0,
      head: 0,
      sample: 0,
    });
    expect(normalizeSelection(payload, { type: "decoder.cross" }).type).toBe("encoder.self");
  });
});

describe("grid and metric cells", () => {
  it("makes one viridis PNG thumbnail per layer × head", () => {
    const g = gridData(payload, "encoder.self", 0);
    expect(g.cells.map((c) => [c.layer, c.head])).toEqual([0, 1].flatMap((l) => [0, 1, 2].map((h) => [l, h])));
    expect(g.cells[0].url.startsWith("data:image/png;base64,")).toBe(true);
    expect(g.pooled).toBe(false);
  });

  it("reads metrics and pattern labels per head", () => {
    const cells = metricCells(payload, "encoder.self", "entropy");
    expect(cells[4]).toEqual({ layer: 1, head: 1, value: 2.5, pattern: "mixed", patternScore: 0.9 });
    expect(metricCells(payload, "encoder.self", "pattern")[0].value).toBeNull();
  });
});
