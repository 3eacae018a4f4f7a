/**
 * Editing in place gives the same model: for every fixture file (fused ones included, whose
 * decomposition and exposure are two edits in a row), the bytes surgery writes inside the file's
 * arena equal those it writes as fresh copies of the bytes, with and without in-graph metrics.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { AttnlensError } from "../../errors";
import { attentionGraph, attentionGraphOf } from "./attentionGraph";

const FIXTURES = path.join(__dirname, "../../../test/fixtures");

function onnxFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? onnxFiles(p) : f.endsWith(".onnx") ? [p] : [];
  });
}

describe.each(onnxFiles(FIXTURES).map((f) => path.relative(FIXTURES, f)))("%s", (rel) => {
  const file = path.join(FIXTURES, rel);

  it.each([false, true])("in place = copied (in-graph metrics: %s)", (inGraphMetrics) => {
    let copied: Uint8Array;
    try {
      copied = attentionGraph(readFileSync(file), { inGraphMetrics }).bytes;
    } catch (e) {
      // Models without attention, or refused in-graph metrics, are refused the same way in place.
      expect(e).toBeInstanceOf(AttnlensError);
      expect(() => attentionGraphOf(file, { inGraphMetrics })).toThrow((e as Error).message.split("\n")[0].slice(-40));
      return;
    }
    const inPlace = attentionGraphOf(file, { inGraphMetrics }).bytes;
    expect(inPlace.length).toBe(copied.length);
    expect(Buffer.from(inPlace).equals(Buffer.from(copied))).toBe(true);
  });
});
