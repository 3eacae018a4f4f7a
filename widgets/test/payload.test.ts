import { describe, expect, it } from "vitest";
import { decodeBase64, decodeMaps, decodePayload, encodeBase64, fromHalf, mapAt } from "../src/payload";
import { block, makePayload, weights } from "./makePayload";

describe("base64", () => {
  it("round-trips every length and matches Node's encoder", () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      const text = encodeBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString("base64"));
      expect(Array.from(decodeBase64(text))).toEqual(Array.from(bytes));
    }
    expect(() => decodeBase64("ab$d")).toThrow(/invalid base64/);
  });
});

describe("float16", () => {
  it("decodes normal, subnormal and special values", () => {
    expect(fromHalf(0x3c00)).toBe(1);
    expect(fromHalf(0x3800)).toBe(0.5);
    expect(fromHalf(0x0001)).toBe(2 ** -24);
    expect(fromHalf(0x7bff)).toBe(65504);
    expect(fromHalf(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(fromHalf(0x3555)).toBeCloseTo(1 / 3, 3);
  });

  it("decodes float16 blocks times their scale", () => {
    const halves = Uint16Array.from([0x3c00, 0x3800, 0x3400, 0]);
    const maps = {
      dtype: "float16" as const,
      dims: [1, 1, 2, 2] as [number, number, number, number],
      bin: [1, 1] as [number, number],
      scale: [2],
      data: Buffer.from(halves.buffer).toString("base64"),
    };
    expect(Array.from(decodeMaps(maps))).toEqual([2, 1, 0.5, 0]);
  });
});

describe("decodeMaps", () => {
  it("restores uint8 maps to within scale/510 and caches the block", () => {
    const w = weights(2, 3, 6, 6);
    const maps = block(w, [2, 3, 6, 6]);
    const got = decodeMaps(maps);
    for (let i = 0; i < w.length; i++) expect(Math.abs(got[i] - w[i])).toBeLessThanOrEqual(0.7 / 510 + 1e-7);
    expect(decodeMaps(maps)).toBe(got);
    expect(mapAt(maps, 1, 2)).toEqual(got.subarray(5 * 36, 6 * 36));
  });
});

describe("decodePayload", () => {
  it("accepts a payload or its JSON text", () => {
    const p = makePayload();
    expect(decodePayload(p)).toBe(p);
    expect(decodePayload(JSON.stringify(p)).sites).toHaveLength(2);
  });

  it("rejects what it cannot show, saying what is wrong", () => {
    const bad = (patch: (p: ReturnType<typeof makePayload>) => void) => {
      const p = makePayload();
      patch(p);
      return () => decodePayload(p);
    };
    expect(bad((p) => ((p as { v: number }).v = 2))).toThrow(/version 2 is not supported/);
    expect(bad((p) => (p.sites[0].maps!.scale = [1]))).toThrow(/scale needs B·H = 6/);
    expect(bad((p) => (p.sites[0].maps!.dims = [2, 3, 5, 6]))).toThrow(/does not match 6×6/);
    expect(bad((p) => p.tokens.source!.text[0].pop())).toThrow(/lengths differ/);
    expect(bad((p) => delete p.tokens.source)).toThrow(/no tokens.source/);
    expect(() => decodeMaps({ ...makePayload().sites[0].maps!, data: "AAAA" })).toThrow(/needs 216 bytes, got 3/);
  });
});
