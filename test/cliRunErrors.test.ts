/**
 * Errors while running a model from the CLI: stderr holds attnlens's one line and nothing else —
 * no onnxruntime native log line before it, ids outside the vocabulary caught before the run.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadFixture } from "../kernel-lib/test/fixtureFiles";
import { attnlens, ROOT } from "./cliRunner";

const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-cli-run-"));
const bert = loadFixture("bert_like");

/** bert_like's feeds.json with `edit` applied, written to a file. */
function feedsFile(name: string, edit: (feeds: Record<string, { dims: number[]; data: number[] }>) => void): string {
  const feeds = JSON.parse(readFileSync(path.join(bert.dir, "feeds.json"), "utf8"));
  edit(feeds);
  const f = path.join(tmp, `${name}.json`);
  writeFileSync(f, JSON.stringify(feeds));
  return f;
}

/** bert_like's feeds with a mask shorter than the ids: it passes the declared dims, then fails in the graph. */
const shortMask = () =>
  feedsFile("mask", (f) => {
    f.attention_mask = { ...f.attention_mask, dims: [2, 5], data: Array(10).fill(1) };
  });

const extract = (feeds: string) =>
  attnlens("extract", bert.modelPath, "--feeds", feeds, "--out", path.join(tmp, "out"), "--providers", "cpu");

describe("run errors on the command line", () => {
  it("a token id outside the vocabulary: exactly attnlens's line, naming input, position, id and size", () => {
    const r = extract(
      feedsFile("vocab", (f) => {
        f.input_ids.data[3] = 99999;
      }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'attnlens extract: error: input "input_ids" holds id 99999 at position [0, 3], but the model\'s embedding ' +
        "(embeddings.word_embeddings.weight) has 64 rows: ids must be 0 to 63\n",
    );
  });

  it("a failure inside onnxruntime: its native log line stays off the terminal", () => {
    const r = extract(shortMask());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^attnlens extract: error: onnxruntime \(cpu\) failed to run the model: Non-zero status code returned while running Add node\..*5 by 8\n$/,
    );
  });

  it("a library caller who asks for onnxruntime's logs (sessionOptions.logSeverityLevel) gets them", () => {
    const script = `
      const { openModel } = require("./kernel-lib/dist");
      const { readFeeds } = require("./kernel-lib/dist/cli/extract");
      openModel(${JSON.stringify(bert.modelPath)}, { providers: ["cpu"], sessionOptions: { logSeverityLevel: 3 } })
        .then((m) => m.run(readFeeds(${JSON.stringify(shortMask())})))
        .catch((e) => console.log(e.code));`;
    const r = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" });
    expect(r.stdout).toBe("RUN_FAILED\n");
    expect(r.stderr).toMatch(/\[E:onnxruntime:.*Non-zero status code returned while running Add node/);
  });
});
