/**
 * `attnlens inspect` (child process, built CLI) on the malformed models the fault-injection pass
 * found (negative dim, raw_data shorter than its dims, double_data cut at the end of the file):
 * exit code 1 with one line naming the tensor, never the internal-error 70.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { seededRandom } from "../kernel-lib/src/util/random";
import { FIXTURES } from "../kernel-lib/test/fixtureFiles";
import { fieldSpots, mutate, smallInitializers } from "../kernel-lib/test/fuzz/onnxMutations";
import { attnlens } from "./cliRunner";

const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-badmodels-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const bytes = new Uint8Array(readFileSync(path.join(FIXTURES, "bert_like", "model.onnx")));
const spots = fieldSpots(bytes);
const initializers = smallInitializers(bytes);

function mutantFile(re: RegExp): string {
  for (let seed = 0; seed < 5000; seed++) {
    const m = mutate(bytes, seededRandom(seed), spots, initializers);
    if (!re.test(m.what)) continue;
    const file = path.join(tmp, `seed-${seed}.onnx`);
    writeFileSync(file, m.bytes);
    return file;
  }
  throw new Error(`no seed below 5000 gives a mutation matching ${re}`);
}

describe("attnlens inspect on malformed ONNX tensors", () => {
  it.each([
    [/dims \[[^\]]*-\d/, /tensor "[^"]+" has dims \[.*\]: dim -\d+ is not a size/],
    [/raw_data cut to/, /tensor "[^"]+" has \d+ bytes of raw_data but dims/],
    [/double_data cut/, /corrupt or truncated/],
  ])("%s: exit 1, one line", (mutation, message) => {
    const r = attnlens("inspect", mutantFile(mutation));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trimEnd().split("\n"), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(/^attnlens inspect: error: .*seed-\d+\.onnx: not a valid ONNX model: /);
    expect(r.stderr).toMatch(message);
  });
});
