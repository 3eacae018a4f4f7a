import { describe, expect, it } from "vitest";
import { allocateRows } from "./rowOutputs";
import { ROW_METRIC_KEYS } from "./types";

describe("allocateRows", () => {
  it("gives zeroed arrays of the asked lengths that share no element", () => {
    const n = 1024; // 4 KiB a float32 array: where one buffer without gaps would align every array alike
    const rows = allocateRows(n, 37);
    const arrays = ROW_METRIC_KEYS.map((key) => rows[key] as Float32Array);
    arrays.forEach((a, k) => {
      expect(a.length).toBe(n);
      expect(a.every((x) => x === 0)).toBe(true);
      a.fill(k + 1);
    });
    expect(rows.sources.length).toBe(37);
    expect(rows.sources.every((x) => x === 0)).toBe(true);
    rows.sources.fill(-1);
    arrays.forEach((a, k) => expect(a.every((x) => x === k + 1)).toBe(true));
    // One buffer, the arrays at different offsets modulo 4 KiB (see STAGGER in rowOutputs.ts).
    expect(new Set(arrays.map((a) => a.buffer)).size).toBe(1);
    expect(new Set(arrays.map((a) => a.byteOffset % 4096)).size).toBe(arrays.length);
  });
});
