import { describe, expect, it } from "vitest";
import { gridData, metricCells } from "../src/data/grid";
import { siteMatrix } from "../src/data/matrix";
import { defaultSelection } from "../src/data/selection";
import { headGridSpec, thumbSize } from "../src/spec/headGrid";
import { LINES_MIN_SHARE, linesSpec } from "../src/spec/lines";
import { metricOverviewSpec } from "../src/spec/metricOverview";
import { PATTERN_COLORS } from "../src/spec/palette";
import { staticSpec } from "../src/spec/staticView";
import type { VlSpec } from "../src/spec/theme";
import { makePayload, TOKENS } from "./makePayload";
import { compile, layers, toSvg } from "./specHelpers";

const payload = makePayload(3, 4);
const sel = defaultSelection(payload);

describe("headGridSpec", () => {
  it("places one thumbnail per layer × head and outlines the selected head", () => {
    const spec = headGridSpec(gridData(payload, "encoder.self", 0), { selected: { layer: 2, head: 1 } });
    const thumbs = (spec.datasets as Record<string, VlSpec[]>).thumbs;
    expect(thumbs).toHaveLength(12);
    expect(thumbs[5]).toMatchObject({ layer: 1, head: 1 });
    expect(spec.width).toBe(4 * thumbSize(4, 3));
    expect(spec.params).toEqual([
      { name: "selLayer", value: 2 },
      { name: "selHead", value: 1 },
    ]);
    expect(compile(spec).warnings).toEqual([]);
  });
});

describe("metricOverviewSpec", () => {
  it("colours by a metric with viridis, or by pattern with colour-blind-safe colours", () => {
    const byEntropy = metricOverviewSpec(metricCells(payload, "encoder.self", "entropy"), "entropy");
    const enc = byEntropy.encoding as Record<string, VlSpec>;
    expect(enc.color).toMatchObject({ field: "value", type: "quantitative", scale: { scheme: "viridis" } });
    expect((byEntropy.datasets as Record<string, VlSpec[]>).metrics).toHaveLength(12);
    const byPattern = metricOverviewSpec(metricCells(payload, "encoder.self", "pattern"), "pattern");
    const color = (byPattern.encoding as Record<string, VlSpec>).color;
    expect((color.scale as VlSpec).range).toEqual(Object.values(PATTERN_COLORS));
    expect(compile(byEntropy).warnings).toEqual([]);
    expect(compile(byPattern).warnings).toEqual([]);
  });
});

describe("linesSpec", () => {
  it("links each target to the sources it attends to, with both token columns", () => {
    const m = siteMatrix(payload, sel);
    const spec = linesSpec(m);
    const data = spec.datasets as Record<string, VlSpec[]>;
    const kept = Array.from(m.values).filter((w) => w >= LINES_MIN_SHARE * m.max).length;
    expect(data.edges).toHaveLength(kept);
    expect(data.tokens.filter((t) => t.side === "target").map((t) => t.text)).toEqual(TOKENS);
    expect(Object.keys(layers(spec))).toEqual(["lines_links", "lines_targettokens", "lines_sourcetokens"]);
    expect(compile(spec).warnings).toEqual([]);
  });
});

describe("staticSpec", () => {
  it("is a complete static picture of the default view that vega renders in Node", async () => {
    const spec = staticSpec({ ...payload, title: "demo <b>x</b>" }, { theme: "dark" });
    expect(compile(spec).warnings).toEqual([]);
    const svg = await toSvg(spec);
    expect(svg.match(/<image/g)?.length).toBe(12 + 1); // 12 thumbnails + the heatmap
    expect(svg).toContain("per-head entropy (nats)");
    expect(svg).toContain("demo &lt;b&gt;x&lt;/b&gt;");
    expect(svg).toContain("#1e1e1e");
    for (const t of TOKENS.slice(0, 4)) expect(svg).toContain(`>${t}</text>`);
  });

  it("leaves the metric overview out when the payload has no metrics", async () => {
    const bare = makePayload(1, 2);
    for (const s of bare.sites) {
      delete s.metrics;
      delete s.patterns;
    }
    const svg = await toSvg(staticSpec(bare));
    expect(svg).not.toContain("per-head");
  });
});
