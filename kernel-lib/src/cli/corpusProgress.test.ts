import { describe, expect, it } from "vitest";
import type { CorpusProgress } from "../corpus/engine/types";
import { duration, progressLine } from "./corpusProgress";

const at = (fraction: number | null, eta: number | null): CorpusProgress => ({
  done: 120,
  skipped: 3,
  truncated: 0,
  consumed: 123,
  batches: 8,
  rate: 12.345,
  eta,
  fraction,
  elapsed: 10,
  resumedFrom: 0,
});

describe("corpus progress", () => {
  it("formats durations in s, m and h", () => {
    expect([duration(null), duration(9.6), duration(125), duration(3 * 3600 + 7 * 60 + 5)]).toEqual([
      "?",
      "10s",
      "2m05s",
      "3h07m",
    ]);
  });

  it("draws a bar on a terminal and a plain line otherwise", () => {
    expect(progressLine(at(0.25, 30), true)).toBe(
      `[${"#".repeat(6)}${".".repeat(18)}]  25% 120 inputs, 3 skipped, 12.3 inputs/s, ETA 30s`,
    );
    expect(progressLine(at(0.25, 30), false)).toBe("25.0% 120 inputs, 3 skipped, 12.3 inputs/s, ETA 30s");
    expect(progressLine(at(null, null), true)).toBe("120 inputs, 3 skipped, 12.3 inputs/s, ETA ?");
  });
});
