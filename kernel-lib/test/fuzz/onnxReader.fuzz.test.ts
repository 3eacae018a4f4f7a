/**
 * Fuzzing the ONNX reader: seeded mutants of fixture models go through what openModel does before
 * onnxruntime (decode, fused-attention decomposition, site discovery, output exposure) and the
 * constant reads of graph analysis. Each must succeed or fail with an AttnlensError of a known
 * code; anything else fails the test, printing the seed and mutation that reproduce it.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { AttnlensError } from "../../src/errors";
import { decomposeFusedAttention } from "../../src/graph/fusion/decompose";
import { tensorValues } from "../../src/graph/onnx/tensorValues";
import { discoverSites } from "../../src/graph/sites/discover";
import { decode } from "../../src/graph/surgery/attentionGraph";
import { exposeSites } from "../../src/graph/surgery/exposeSites";
import { seededRandom } from "../../src/util/random";
import { FIXTURES } from "../fixtureFiles";
import { isKnownError } from "./knownErrors";
import { fieldSpots, mutate, smallInitializers } from "./onnxMutations";

/** What openModel does with the bytes before it creates a session. */
function readAsOpenModelDoes(bytes: Uint8Array): void {
  let model = decode(bytes, "the fuzzed model");
  for (const t of model.graph.initializers.values()) tensorValues(t);
  const fused = decomposeFusedAttention(model);
  if (fused.bytes) model = decode(fused.bytes, "the decomposed model");
  const found = discoverSites(model);
  if (found.sites.length > 0) exposeSites(model, found.sites);
}

const CASES = 150;

describe.each(["bert_like", "gpt2_like", "bart_like"])("ONNX reader fuzz on %s", (name) => {
  const bytes = new Uint8Array(readFileSync(path.join(FIXTURES, name, "model.onnx")));
  const spots = fieldSpots(bytes);
  const initializers = smallInitializers(bytes);

  it(`ends ${CASES} mutants in a result or a one-line AttnlensError with a known code`, () => {
    const failures: string[] = [];
    const codes = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const seed = 1000 + i;
      const m = mutate(bytes, seededRandom(seed), spots, initializers);
      try {
        readAsOpenModelDoes(m.bytes);
        codes.set("ok", (codes.get("ok") ?? 0) + 1);
      } catch (e) {
        if (isKnownError(e) && !(e as Error).message.includes("\n"))
          codes.set((e as AttnlensError).code, (codes.get((e as AttnlensError).code) ?? 0) + 1);
        else
          failures.push(
            `${name} seed ${seed} (${m.what}): ${(e as Error)?.stack?.split("\n").slice(0, 3).join(" | ")}`,
          );
      }
    }
    expect(failures).toEqual([]);
    // The mutants reach both outcomes: the reader is exercised, not just rejected at the door.
    expect(codes.get("BAD_MODEL") ?? 0).toBeGreaterThan(CASES / 10);
    expect(codes.get("ok") ?? 0).toBeGreaterThan(0);
  });
});

describe("ONNX reader: the malformed tensors the fault-injection pass found", () => {
  const bytes = new Uint8Array(readFileSync(path.join(FIXTURES, "bert_like", "model.onnx")));
  const initializers = smallInitializers(bytes);
  const spots = fieldSpots(bytes);

  /** The first seed whose mutation description matches, so each kind is tested exactly. */
  function mutantMatching(re: RegExp) {
    for (let seed = 0; seed < 5000; seed++) {
      const m = mutate(bytes, seededRandom(seed), spots, initializers);
      if (re.test(m.what)) return m;
    }
    throw new Error(`no seed below 5000 gives a mutation matching ${re}`);
  }

  it.each([
    [/dims \[[^\]]*-\d/, /tensor "[^"]+" has dims \[.*\]: dim -\d+ is not a size/],
    [/raw_data cut to/, /tensor "[^"]+" has \d+ bytes of raw_data but dims \[.*\] need \d+/],
    [/double_data cut/, /corrupt or truncated \(truncated fixed-width field\)/],
    [/unpacked double_data values/, /tensor "[^"]+" has \d+ values in double_data but dims \[.*\] need \d+/],
    [/external data "\.\.\/\.\.\/etc\/passwd"/, /must be a file beside the model/],
  ])("%s → BAD_MODEL %s", (mutation, message) => {
    const m = mutantMatching(mutation);
    let error: unknown = null;
    try {
      readAsOpenModelDoes(m.bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AttnlensError);
    expect((error as AttnlensError).code).toBe("BAD_MODEL");
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/^the fuzzed model: /);
  });
});
