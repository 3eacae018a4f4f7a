/**
 * The accumulator layout and piece flags are written twice: as C enums in metrics_kernel.c and as
 * TypeScript constants (runKernel.ts, pieces.ts). This test reads the C enums and holds them to
 * the TypeScript table, so one edited without the other fails here rather than as wrong metrics.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as runKernel from "../runKernel";
import { argsOffset } from "./kernelPool";
import { PIECE_LEFT, PIECE_MASKED, PIECE_SEGMENT } from "./pieces";

const C_SOURCE = readFileSync(path.join(__dirname, "..", "..", "..", "..", "wasm", "metrics_kernel.c"), "utf8");

/** Every `enum { A, B = 4, … };` of the C source as name → value, by C's rules (implicit = previous + 1). */
function cEnums(source: string): Map<string, number>[] {
  const enums: Map<string, number>[] = [];
  for (const match of source.matchAll(/\benum\s*\{([^}]*)\}\s*;/g)) {
    const values = new Map<string, number>();
    let next = 0;
    for (const entry of match[1].split(",")) {
      const text = entry.trim();
      if (text === "") continue;
      const parsed = /^([A-Za-z_]\w*)\s*(?:=\s*(\d+))?$/.exec(text);
      if (!parsed) throw new Error(`metrics_kernel.c: cannot read the enum entry "${text}"`);
      const value = parsed[2] === undefined ? next : Number(parsed[2]);
      values.set(parsed[1], value);
      next = value + 1;
    }
    enums.push(values);
  }
  return enums;
}

/** The C enum that defines `name`. */
function enumWith(name: string): Map<string, number> {
  const found = cEnums(C_SOURCE).filter((e) => e.has(name));
  expect(found, `one enum in metrics_kernel.c defines ${name}`).toHaveLength(1);
  return found[0];
}

describe("the WebAssembly kernel's layout", () => {
  it("has the TypeScript accumulator layout (runKernel.ts), slot for slot", () => {
    const ts = Object.entries(runKernel as Record<string, unknown>).filter((e) => typeof e[1] === "number");
    const c = enumWith("ACC_SIZE");
    expect(Object.fromEntries(c)).toEqual(Object.fromEntries(ts));
    // every slot below ACC_SIZE is named once, in both
    const slots = [...c.values()].filter((v) => v < runKernel.ACC_SIZE).sort((a, b) => a - b);
    expect(slots).toEqual(Array.from({ length: runKernel.ACC_SIZE }, (_, k) => k));
  });

  it("has the TypeScript piece flags (pieces.ts)", () => {
    expect(Object.fromEntries(enumWith("PIECE_LEFT"))).toEqual({ PIECE_LEFT, PIECE_SEGMENT, PIECE_MASKED });
  });

  it("reads C enums as C does", () => {
    expect(cEnums("enum { A, B = 4, C };\nenum{ D };").map((e) => Object.fromEntries(e))).toEqual([
      { A: 0, B: 4, C: 5 },
      { D: 0 },
    ]);
  });
});

describe("the worker control block", () => {
  it("puts the slots' arguments after every int32 word, 8-aligned, for any slot count", () => {
    for (const slots of [1, 2, 4, 8, 16]) {
      const words = 3 + 2 * slots; // state, posted, done, then a result and a claim per slot
      const at = argsOffset(slots);
      expect(at % 8).toBe(0);
      expect(at).toBeGreaterThanOrEqual(words * 4);
      expect(at).toBeLessThan(words * 4 + 8);
    }
  });
});
