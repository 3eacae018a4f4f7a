import * as vega from "vega";
import { describe, expect, it } from "vitest";
import { gridData } from "../src/data/grid";
import { headGridSpec } from "../src/spec/headGrid";
import type { VlSpec } from "../src/spec/theme";
import type { VegaView } from "../src/view/embed";
import { swapData } from "../src/view/swapData";
import { makePayload } from "./makePayload";
import { compile } from "./specHelpers";

/** The scenegraph items of a named mark, in data order. */
function items(view: vega.View, name: string): Array<{ url?: string; datum: object }> {
  const out: Array<{ url?: string; datum: object }> = [];
  const walk = (node: { marktype?: string; name?: string; items?: unknown[] }) => {
    for (const item of node.items ?? []) {
      const i = item as { items?: unknown[]; url?: string; datum: object };
      if (node.name === name) out.push(i);
      for (const child of (i.items ?? []) as (typeof node)[]) walk(child);
    }
  };
  walk(view.scenegraph().root as never);
  return out;
}

async function gridView(): Promise<{ view: vega.View; rows: VlSpec[] }> {
  const spec = headGridSpec(gridData(makePayload(3, 4), "encoder.self", 0));
  const view = new vega.View(vega.parse(compile(spec).vg), { renderer: "none" });
  await view.runAsync();
  return { view, rows: (spec.datasets as Record<string, VlSpec[]>).thumbs };
}

describe("swapData", () => {
  it("modifies rows of the same count in place: Vega keeps its tuples and mark items, with the new values", async () => {
    const { view, rows } = await gridView();
    const tuples = view.data("thumbs");
    const before = items(view, "grid_thumbs_marks");
    expect(before).toHaveLength(12);
    // New thumbnails for the same heads (each head gets the next one's picture).
    const next = rows.map((r, i) => ({ ...r, url: rows[(i + 1) % rows.length].url }));
    expect(next.map((r) => r.url)).not.toEqual(rows.map((r) => r.url));
    swapData(view as unknown as VegaView, "thumbs", next);
    await view.runAsync();
    const after = items(view, "grid_thumbs_marks");
    expect(view.data("thumbs")).toHaveLength(12);
    view.data("thumbs").forEach((t, i) => expect(t).toBe(tuples[i]));
    after.forEach((item, i) => expect(item).toBe(before[i]));
    expect(after.map((i) => i.url)).toEqual(next.map((r) => r.url));
    view.finalize();
  });

  it("sends no change when nothing differs, and replaces the rows when their count changes", async () => {
    const { view, rows } = await gridView();
    let changes = 0;
    const change = view.change.bind(view);
    view.change = (name, cs) => {
      changes++;
      return change(name, cs);
    };
    swapData(
      view as unknown as VegaView,
      "thumbs",
      rows.map((r) => ({ ...r })),
    );
    expect(changes).toBe(0);
    swapData(view as unknown as VegaView, "thumbs", rows.slice(0, 8));
    await view.runAsync();
    expect(items(view, "grid_thumbs_marks").map((i) => i.url)).toEqual(rows.slice(0, 8).map((r) => r.url));
    view.finalize();
  });
});
