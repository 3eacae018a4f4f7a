/** The patch-grid overlay spec: cells carry the payload's weights at the right patch, per layer/head/mean. */
import { describe, expect, it } from "vitest";
import { mapAt } from "../src/payload/maps";
import { decodePayload } from "../src/payload/validate";
import { patchCells, patchOverlaySpec, queryLabels } from "../src/spec/patchOverlay";
import { hotPatch, patchPayload } from "./patchPayload";

describe("patch overlay spec", () => {
  const payload = patchPayload(3, 4, 2, 2);

  it("puts each head's weights from [CLS] on its patch, row-major, and the heads' mean", () => {
    const cells = patchCells(payload, 0, 0);
    expect(cells).toHaveLength(2 * (2 + 1) * 12);
    for (let l = 0; l < 2; l++)
      for (let h = 0; h < 2; h++) {
        const map = mapAt(payload.sites[l].maps!, 0, h);
        const mine = cells.filter((c) => c.layer === l && c.head === h);
        for (const c of mine) expect(c.w).toBe(map[1 + c.r * 4 + c.c]);
        const top = mine.reduce((a, b) => (b.w > a.w ? b : a));
        const hot = hotPatch(l, h, 12);
        expect([top.r, top.c]).toEqual([Math.floor(hot / 4), hot % 4]);
      }
    const m0 = mapAt(payload.sites[0].maps!, 0, 0);
    const m1 = mapAt(payload.sites[0].maps!, 0, 1);
    const mean = cells.filter((c) => c.layer === 0 && c.head === -1);
    for (const c of mean) expect(c.w).toBeCloseTo((m0[1 + c.r * 4 + c.c] + m1[1 + c.r * 4 + c.c]) / 2, 6);
  });

  it("a chosen query patch reads that row", () => {
    const q = 1 + 2 * 4 + 3; // patch (2, 3)
    const cells = patchCells(payload, 0, q).filter((c) => c.layer === 1 && c.head === 0);
    const map = mapAt(payload.sites[1].maps!, 0, 0);
    for (const c of cells) expect(c.w).toBe(map[q * 13 + 1 + c.r * 4 + c.c]);
    expect(queryLabels(payload)[q]).toBe("patch (2, 3)");
    expect(queryLabels(payload)[0]).toBe("[CLS]");
  });

  it("layers the picture under the heat, with layer and head selectors", () => {
    const spec = patchOverlaySpec(payload, { size: 200 }) as {
      width: number;
      height: number;
      params: { name: string; value: number; bind: { options: number[]; labels: string[] } }[];
      layer: { mark: { type: string; opacity?: number }; data: { values: { url?: string }[] } }[];
    };
    expect([spec.width, spec.height]).toEqual([200, 150]);
    expect(spec.layer.map((l) => l.mark.type)).toEqual(["image", "rect"]);
    expect(spec.layer[0].data.values[0].url).toBe(payload.image!.urls[0]);
    expect(spec.layer[1].mark.opacity).toBeGreaterThan(0);
    expect(spec.layer[1].mark.opacity).toBeLessThan(1);
    expect(spec.params.map((p) => [p.name, p.value])).toEqual([
      ["layer", 0],
      ["head", -1],
    ]);
    expect(spec.params[0].bind.labels).toEqual(["encoder.self.0", "encoder.self.1"]);
    expect(spec.params[1].bind.labels).toEqual(["mean", "head 0", "head 1"]);
  });

  it("refuses payloads without an image, and image URLs that are not inline pictures", () => {
    const { image, ...plain } = payload;
    expect(() => patchOverlaySpec(plain)).toThrow(/no image/);
    expect(() => decodePayload({ ...payload, image: { ...image!, urls: ["https://example.com/cat.png"] } })).toThrow(
      /data:image/,
    );
    expect(() => decodePayload({ ...payload, image: { ...image!, urls: [] } })).toThrow(/one picture per sample/);
  });
});
