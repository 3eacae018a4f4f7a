import { inflateSync } from "node:zlib";
import { scheme } from "vega-scale";
import { describe, expect, it } from "vitest";
import { decodeBase64 } from "../src/payload";
import { VIRIDIS_PALETTE, viridis } from "../src/spec/palette";
import { indexedPng } from "../src/spec/png";
import { rasterUrl } from "../src/spec/raster";

function chunks(png: Uint8Array): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  const view = new DataView(png.buffer, png.byteOffset);
  for (let o = 8; o < png.length; ) {
    const len = view.getUint32(o);
    out[String.fromCharCode(...png.subarray(o + 4, o + 8))] = png.subarray(o + 8, o + 8 + len);
    o += 12 + len;
  }
  return out;
}

describe("indexedPng", () => {
  it("writes a valid 8-bit indexed PNG whose rows hold the indices", () => {
    const idx = Uint8Array.from({ length: 300 * 250 }, (_, i) => i % 256);
    const png = indexedPng(300, 250, idx, VIRIDIS_PALETTE);
    expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const c = chunks(png);
    expect(Array.from(c.IHDR.subarray(8, 10))).toEqual([8, 3]);
    expect(c.PLTE).toHaveLength(768);
    const raw = inflateSync(c.IDAT);
    expect(raw).toHaveLength(301 * 250);
    expect(Array.from(raw.subarray(301, 301 + 5))).toEqual([0, 44, 45, 46, 47]);
  });
});

describe("viridis", () => {
  it("is Vega's viridis scheme", () => {
    const vg = scheme("viridis") as (t: number) => string;
    for (const t of [0, 0.1, 0.37, 0.5, 0.83, 1]) {
      const [r, g, b] = viridis(t);
      const want = vg(t).match(/\d+/g)!.map(Number);
      expect([r, g, b]).toEqual(want.slice(0, 3));
    }
  });
});

describe("rasterUrl", () => {
  it("maps 0 to the first colour and the maximum to the last", () => {
    const url = rasterUrl(Float32Array.from([0, 0.5, 1, 0.25]), 2, 2, 1);
    const png = decodeBase64(url.slice("data:image/png;base64,".length));
    const raw = inflateSync(chunks(png).IDAT);
    expect(Array.from(raw)).toEqual([0, 0, 128, 0, 255, 64]);
  });
});

describe("rasterUrl pooling", () => {
  it("draws blocks of cells as one pixel holding their maximum", () => {
    const values = Float32Array.from([0, 0.2, 0, 0, 0, 0, 0, 1, 0.5, 0, 0, 0, 0, 0, 0, 0]);
    const url = rasterUrl(values, 4, 4, 1, undefined, [2, 2]);
    const png = decodeBase64(url.slice("data:image/png;base64,".length));
    expect(Array.from(chunks(png).IHDR.subarray(0, 8))).toEqual([0, 0, 0, 2, 0, 0, 0, 2]);
    expect(Array.from(inflateSync(chunks(png).IDAT))).toEqual([0, 51, 255, 0, 128, 0]);
  });
});
