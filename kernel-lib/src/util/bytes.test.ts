import { describe, expect, it } from "vitest";
import { formatBytes } from "./bytes";

describe("formatBytes", () => {
  it("picks the unit that keeps the figure between 1 and 1024, with three significant figures", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1000)).toBe("1000 B");
    expect(formatBytes(4096)).toBe("4.00 KiB");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(12.5 * 2 ** 20)).toBe("12.5 MiB");
    expect(formatBytes(2 * 2 ** 30)).toBe("2.00 GiB");
    expect(formatBytes(2.2e9)).toBe("2.05 GiB");
    // Near the next unit: four digits, never an exponent, and never 1024 of the smaller unit.
    expect(formatBytes(1023.6 * 1024)).toBe("1.00 MiB");
    expect(formatBytes(1023 * 1024)).toBe("1023 KiB");
  });
});
