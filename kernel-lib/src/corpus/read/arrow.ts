/**
 * Arrow IPC corpora (the file format, `.arrow` / `.feather` v2, or the stream format, `.arrows`),
 * read one record batch at a time with apache-arrow, only the named columns turned into strings.
 * A batch that cannot be decoded ends the reading there: the rest is reported as one problem
 * (an IPC stream cannot be resynchronized past a damaged message).
 */
import { createReadStream, statSync } from "node:fs";
import { RecordBatchReader } from "apache-arrow";
import { AttnlensError } from "../../errors";
import { fromRow } from "./jsonLines";
import type { CorpusFields, CorpusReader, CorpusRecord } from "./types";

export async function arrowReader(file: string, fields: CorpusFields = {}): Promise<CorpusReader> {
  const textField = fields.text ?? "text";
  const wanted = [textField, fields.pair, fields.target].filter((f): f is string => f != null);
  let reader: Awaited<ReturnType<typeof RecordBatchReader.from>>;
  const stream = createReadStream(file);
  const size = statSync(file).size;
  try {
    reader = await RecordBatchReader.from(stream);
    await reader.open();
  } catch (e) {
    throw new AttnlensError("BAD_INPUT", `${file} is not a readable Arrow IPC file: ${(e as Error).message}`);
  }
  const names = new Set(reader.schema?.fields.map((f) => f.name) ?? []);
  const missing = wanted.filter((f) => !names.has(f));
  if (missing.length > 0) {
    stream.destroy();
    throw new AttnlensError(
      "BAD_INPUT",
      `${file} has no column ${missing.map((m) => `"${m}"`).join(", ")}; its columns are: ${[...names].join(", ")} (choose with --field / --pair-field / --target-field)`,
    );
  }
  let done = 0;
  return {
    format: "arrow",
    total: null,
    fraction: () => (size === 0 ? 1 : Math.min(1, stream.bytesRead / size)),
    async *records(): AsyncGenerator<CorpusRecord> {
      const it = reader[Symbol.asyncIterator]();
      try {
        for (;;) {
          let next: IteratorResult<import("apache-arrow").RecordBatch>;
          try {
            next = await it.next();
          } catch (e) {
            yield {
              line: done + 1,
              problem: "badRow",
              reason: `record batch after row ${done} could not be decoded, the rest of the file is not read: ${(e as Error).message}`,
            };
            return;
          }
          if (next.done) return;
          const batch = next.value;
          const columns = wanted.map((w) => [w, batch.getChild(w)] as const);
          for (let r = 0; r < batch.numRows; r++) {
            const row: Record<string, unknown> = {};
            for (const [w, col] of columns) row[w] = col?.get(r) ?? null;
            done++;
            yield fromRow(done, row, textField, fields);
          }
        }
      } finally {
        await Promise.resolve(reader.cancel()).catch(() => undefined);
        stream.destroy();
      }
    },
  };
}
