import { describe, expect, it } from "vitest";
import { frameTokens } from "./frameTokens";

describe("frameTokens", () => {
  it("one token per encoder position spanning frames ÷ positions frames (Whisper: 2 × 10 ms)", () => {
    const rows = frameTokens(2, 3000, 1500, 0.01);
    expect(rows.map((r) => r.length)).toEqual([1500, 1500]);
    expect(rows[1][0]).toEqual({ text: "0.00 s", id: 0, word: 0, special: false, seconds: [0, 0.02] });
    expect(rows[0][1499]).toMatchObject({ text: "29.98 s", seconds: [29.98, 30] });
  });

  it("without a frame duration, labels by first frame", () => {
    expect(frameTokens(1, 12, 3, null)[0].map((t) => t.text)).toEqual(["frame 0", "frame 4", "frame 8"]);
  });

  it("refuses an encoder whose positions do not divide the frames", () => {
    expect(() => frameTokens(1, 100, 30, 0.01)).toThrow("30 positions for 100 frames");
  });
});
