/**
 * Corpus readers against files written by independent tools: Parquet and Arrow IPC by pyarrow
 * (several row groups / record batches, a pair column), a Parquet file with one row group's pages
 * damaged, text and JSON lines with every kind of bad line. Each record's line (row) number and
 * problem are compared with what the test wrote.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runPython } from "../../test/pythonEnv";
import { openCorpus } from "../src/corpus/read/openCorpus";
import type { CorpusRecord } from "../src/corpus/read/types";

const dir = mkdtempSync(path.join(tmpdir(), "attnlens-corpusread-"));
const at = (name: string) => path.join(dir, name);
const TEXTS = Array.from({ length: 250 }, (_, i) => (i % 37 === 5 ? "" : `sentence number ${i} é`));

async function all(file: string, fields = {}): Promise<CorpusRecord[]> {
  const reader = await openCorpus(file, fields);
  const out: CorpusRecord[] = [];
  for await (const r of reader.records()) out.push(r);
  expect(reader.fraction()).toBe(1);
  return out;
}

/** What every reader must yield for TEXTS (row i → line i + 1; empty texts reported). */
function expected(pairs = false): CorpusRecord[] {
  return TEXTS.map((t, i) =>
    t === ""
      ? { line: i + 1, problem: "empty", reason: expect.any(String) as unknown as string }
      : { line: i + 1, text: t, ...(pairs ? { pair: i % 2 ? `pair ${i}` : null } : {}) },
  );
}

beforeAll(() => {
  writeFileSync(at("texts.json"), JSON.stringify(TEXTS));
  runPython(
    `
import json, sys, pyarrow as pa, pyarrow.parquet as pq, pyarrow.feather as feather
d = sys.argv[1]
texts = json.load(open(d + "/texts.json"))
pairs = [f"pair {i}" if i % 2 else None for i in range(len(texts))]
t = pa.table({"id": list(range(len(texts))), "sentence": texts, "second": pairs})
pq.write_table(t, d + "/c.parquet", row_group_size=64)
feather.write_feather(t, d + "/c.arrow", chunksize=40, compression="uncompressed")
with pa.OSFile(d + "/c.arrows", "wb") as f:
    with pa.ipc.new_stream(f, t.schema) as w:
        for b in t.to_batches(max_chunksize=70): w.write_batch(b)
pq.write_table(t, d + "/plain.parquet", row_group_size=100, compression="none", use_dictionary=False)
`,
    [dir],
  );
});

describe("Parquet", () => {
  it("reads the text and pair columns row group by row group, with row numbers", async () => {
    expect(await all(at("c.parquet"), { text: "sentence", pair: "second" })).toEqual(expected(true));
  });

  it("reports the rows of a damaged row group and reads the others", async () => {
    const bytes = readFileSync(at("plain.parquet"));
    // Row group 1 holds rows 100..199: overwrite the middle of its text pages with garbage.
    const marker = Buffer.from("sentence number 150 é");
    const where = bytes.indexOf(marker);
    expect(where).toBeGreaterThan(0);
    for (let k = where - 600; k < where + 600; k++) bytes[k] = 0xff;
    writeFileSync(at("damaged.parquet"), bytes);
    const records = await all(at("damaged.parquet"), { text: "sentence" });
    expect(records).toHaveLength(250);
    const bad = records.filter((r) => "problem" in r && r.problem === "badRow").map((r) => r.line);
    expect(bad).toEqual(Array.from({ length: 100 }, (_, i) => 101 + i));
    expect(records.slice(0, 100)).toEqual(expected().slice(0, 100));
    expect(records.slice(200)).toEqual(expected().slice(200));
  });

  it("refuses a file that is not Parquet, or lacks the column, before reading anything", async () => {
    writeFileSync(at("not.parquet"), "hello, not parquet at all");
    await expect(openCorpus(at("not.parquet"))).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: expect.stringContaining("not a readable Parquet file"),
    });
    await expect(openCorpus(at("c.parquet"), { text: "body" })).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: expect.stringContaining('no column "body"; its columns are: id, sentence, second'),
    });
  });
});

describe("Arrow IPC", () => {
  it("reads the file format batch by batch", async () => {
    expect(await all(at("c.arrow"), { text: "sentence", pair: "second" })).toEqual(expected(true));
  });
  it("reads the stream format", async () => {
    expect(await all(at("c.arrows"), { text: "sentence" })).toEqual(expected());
  });
  it("reports a cut-off stream from the damaged batch on, after yielding the whole batches before it", async () => {
    const bytes = readFileSync(at("c.arrows"));
    writeFileSync(at("cut.arrows"), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const records = await all(at("cut.arrows"), { text: "sentence" });
    const whole = records.filter((r) => !("problem" in r && r.problem === "badRow"));
    expect(whole.length % 70).toBe(0);
    expect(whole).toEqual(expected().slice(0, whole.length));
    expect(records.at(-1)).toEqual({
      line: whole.length + 1,
      problem: "badRow",
      reason: expect.stringContaining(`record batch after row ${whole.length} could not be decoded`),
    });
  });

  it("names the missing column", async () => {
    await expect(openCorpus(at("c.arrow"))).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: expect.stringContaining('no column "text"'),
    });
  });
});

describe("text and JSON lines", () => {
  it("reports empty and undecodable lines with their numbers (CRLF and a last line without newline)", async () => {
    const bytes = Buffer.concat([
      Buffer.from("first\r\n\nthird é\n"),
      Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x0a]),
      Buffer.from("   \nlast"),
    ]);
    writeFileSync(at("t.txt"), bytes);
    const records = await all(at("t.txt"));
    expect(records).toEqual([
      { line: 1, text: "first" },
      { line: 2, problem: "empty", reason: "empty line" },
      { line: 3, text: "third é" },
      { line: 4, problem: "undecodable", reason: "bytes that are not UTF-8" },
      { line: 5, problem: "empty", reason: "empty line" },
      { line: 6, text: "last" },
    ]);
  });

  it("reads text, pair and target fields and reports bad JSON lines", async () => {
    writeFileSync(
      at("j.jsonl"),
      [
        JSON.stringify({ body: "one", b: "two", t: "three" }),
        "{not json",
        JSON.stringify({ other: 1 }),
        JSON.stringify([1, 2]),
        JSON.stringify({ body: 5 }),
        JSON.stringify({ body: "x", b: null }),
        JSON.stringify({ body: "" }),
        JSON.stringify({ ["__proto__"]: "p", body: "proto ok" }),
      ].join("\n"),
    );
    const records = await all(at("j.jsonl"), { text: "body", pair: "b", target: "t" });
    expect(
      records.map((r) => ("problem" in r ? [r.line, r.problem, r.reason] : [r.line, r.text, r.pair, r.target])),
    ).toEqual([
      [1, "one", "two", "three"],
      [2, "badJson", expect.stringMatching(/^not JSON \(/)],
      [3, "missingField", 'no "body" field'],
      [4, "badJson", "not a JSON object"],
      [5, "missingField", '"body" is not a string'],
      [6, "x", null, null],
      [7, "empty", 'empty "body"'],
      [8, "proto ok", null, null],
    ]);
  });

  it("refuses an unknown extension and a missing file", async () => {
    writeFileSync(at("d.csv"), "a,b");
    await expect(openCorpus(at("d.csv"))).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: expect.stringContaining('unknown data format ".csv"'),
    });
    await expect(openCorpus(at("none.txt"))).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: expect.stringContaining("no data file"),
    });
  });
});
