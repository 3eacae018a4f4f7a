import { describe, expect, it } from "vitest";
import type { RowSource } from "../../result/lazy";
import { rowSourceOf } from "../../result/rowSource";
import { sampleResult } from "../payload/sample";
import { isFullResult, TileAnswerer } from "./tiles";

describe("TileAnswerer", () => {
  const result = sampleResult({ layers: 1, heads: 2, tokens: 30 });
  const replies: { content: Record<string, unknown>; buffers?: Uint8Array[] }[] = [];
  const reply = (content: Record<string, unknown>, buffers?: Uint8Array[]) => replies.push({ content, buffers });

  it("answers with the window's float32 bytes, and errors for refused or failing requests, never throwing", async () => {
    replies.length = 0;
    const answerer = new TileAnswerer(() => rowSourceOf(result), reply);
    const request = { event: "tile", id: 7, site: "encoder.self.0", batch: 0, head: 1, rows: [2, 5], cols: [10, 14] };
    await answerer.answer(request);
    await answerer.answer({ ...request, id: "x", cols: [10, 31] });
    const failing: RowSource = {
      sites: rowSourceOf(result).sites,
      rows: () => Promise.reject(new Error("unused")),
      tile: () => Promise.reject(new Error("session released")),
    };
    await new TileAnswerer(() => failing, reply).answer({ ...request, id: "y" });
    expect(replies[0].content).toEqual({
      event: "tile",
      id: "7",
      site: "encoder.self.0",
      batch: 0,
      head: 1,
      rows: [2, 5],
      cols: [10, 14],
    });
    const b = replies[0].buffers![0];
    const got = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    const want: number[] = [];
    for (let t = 2; t < 5; t++) for (let s = 10; s < 14; s++) want.push(result.sites[0].data[900 + t * 30 + s]);
    expect(Array.from(got)).toEqual(want);
    expect(replies[1]).toEqual({
      content: {
        event: "tile",
        id: "x",
        error: "refused a tile request: cols must be [start, end) with 0 ≤ start < end ≤ 30",
      },
      buffers: undefined,
    });
    expect(replies[2].content).toEqual({ event: "tile", id: "y", error: "cannot compute this tile: session released" });
  });

  it("tells full results from row sources", () => {
    expect(isFullResult(result)).toBe(true);
    expect(isFullResult({ ...result, ...rowSourceOf(result) })).toBe(false);
  });
});

describe("pooled tiles", () => {
  it("pools a window into bin × bin cells from its corner, padding rows left out, as the naive pooling", async () => {
    const result = sampleResult({ layers: 1, heads: 2, tokens: 50, lengths: [45], patterns: ["random"] });
    const replies: { content: Record<string, unknown>; buffers?: Uint8Array[] }[] = [];
    const answerer = new TileAnswerer(
      () => Object.assign(rowSourceOf(result), { masks: result.masks }),
      (content, buffers) => replies.push({ content, buffers }),
    );
    await answerer.answer({
      event: "tile",
      id: "p",
      site: "encoder.self.0",
      batch: 0,
      head: 1,
      rows: [3, 50],
      cols: [7, 40],
      bin: 4,
    });
    expect(replies[0].content).toMatchObject({ id: "p", rows: [3, 50], cols: [7, 40], bin: 4 });
    const b = replies[0].buffers![0];
    const got = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    const R = Math.ceil(47 / 4);
    const C = Math.ceil(33 / 4);
    expect(got.length).toBe(R * C);
    const map = result.sites[0].data.subarray(2500, 5000);
    for (let I = 0; I < R; I++)
      for (let J = 0; J < C; J++) {
        let sum = 0;
        let n = 0;
        for (let t = 3 + 4 * I; t < Math.min(50, 3 + 4 * I + 4); t++) {
          if (t >= 45) continue; // padding
          n++;
          for (let s = 7 + 4 * J; s < Math.min(40, 7 + 4 * J + 4); s++) sum += map[t * 50 + s];
        }
        expect(got[I * C + J]).toBeCloseTo(n > 0 ? sum / n : 0, 6);
      }
  });
});
