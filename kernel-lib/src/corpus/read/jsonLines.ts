/**
 * `.jsonl` corpora: one JSON object per line with a text field (and optional pair / target fields).
 * A line that is not JSON, not an object, or lacks the text field is reported and skipped.
 */
import { LineReader } from "./lines";
import type { CorpusFields, CorpusReader, CorpusRecord } from "./types";

export function jsonLinesReader(file: string, fields: CorpusFields = {}): CorpusReader {
  const lines = new LineReader(file);
  const textField = fields.text ?? "text";
  return {
    format: "jsonl",
    total: null,
    fraction: () => lines.fraction(),
    async *records(): AsyncGenerator<CorpusRecord> {
      for await (const { line, text } of lines.lines()) {
        if (text === null) {
          yield { line, problem: "undecodable", reason: "bytes that are not UTF-8" };
          continue;
        }
        if (text.trim() === "") {
          yield { line, problem: "empty", reason: "empty line" };
          continue;
        }
        let row: unknown;
        try {
          row = JSON.parse(text);
        } catch (e) {
          yield { line, problem: "badJson", reason: `not JSON (${(e as Error).message.split("\n")[0]})` };
          continue;
        }
        if (!row || typeof row !== "object" || Array.isArray(row)) {
          yield { line, problem: "badJson", reason: "not a JSON object" };
          continue;
        }
        yield fromRow(line, row as Record<string, unknown>, textField, fields);
      }
    },
  };
}

/** A record from one row's fields (shared with the Parquet and Arrow readers). */
export function fromRow(
  line: number,
  row: Record<string, unknown>,
  textField: string,
  fields: CorpusFields,
): CorpusRecord {
  const text = own(row, textField);
  if (typeof text !== "string") {
    return {
      line,
      problem: "missingField",
      reason: text == null ? `no "${textField}" field` : `"${textField}" is not a string`,
    };
  }
  if (text.trim() === "") return { line, problem: "empty", reason: `empty "${textField}"` };
  const out: CorpusRecord = { line, text };
  for (const key of ["pair", "target"] as const) {
    const name = fields[key];
    if (!name) continue;
    const v = own(row, name);
    if (v != null && typeof v !== "string")
      return { line, problem: "missingField", reason: `"${name}" is not a string` };
    out[key] = v == null ? null : v;
  }
  return out;
}

/** Own properties only: a field named "__proto__" or "constructor" is data, not a prototype lookup. */
function own(row: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(row, key) ? row[key] : undefined;
}
