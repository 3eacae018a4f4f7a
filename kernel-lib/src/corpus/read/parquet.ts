/**
 * Parquet corpora, read one row group at a time with hyparquet (pure JavaScript; snappy and
 * uncompressed pages), only the text / pair / target columns. A row group that cannot be decoded
 * is reported (its rows skipped, with their row numbers) and reading goes on with the next one; a file
 * whose footer cannot be read stops the job before the first batch.
 */
import { open } from "node:fs/promises";
import { AttnlensError } from "../../errors";
import { fromRow } from "./jsonLines";
import type { CorpusFields, CorpusReader, CorpusRecord } from "./types";

/** The part of hyparquet (an ES module, loaded with a real import()) used here. */
interface AsyncBuffer {
  byteLength: number;
  slice(start: number, end?: number): Promise<ArrayBuffer>;
}
interface FileMetaData {
  schema: { name: string }[];
  num_rows: bigint;
  row_groups: { num_rows: bigint }[];
}
interface Hyparquet {
  parquetMetadataAsync(file: AsyncBuffer): Promise<FileMetaData>;
  parquetReadObjects(options: {
    file: AsyncBuffer;
    metadata: FileMetaData;
    columns: string[];
    rowStart: number;
    rowEnd: number;
  }): Promise<Record<string, unknown>[]>;
}

/** Reads byte ranges on demand: the file is never loaded whole. */
async function fileBuffer(file: string): Promise<{ buffer: AsyncBuffer; close: () => Promise<void> }> {
  const handle = await open(file, "r");
  const { size } = await handle.stat();
  return {
    buffer: {
      byteLength: size,
      async slice(start: number, end?: number): Promise<ArrayBuffer> {
        const stop = end ?? size;
        const bytes = new Uint8Array(Math.max(0, stop - start));
        await handle.read(bytes, 0, bytes.length, start);
        return bytes.buffer;
      },
    },
    close: () => handle.close(),
  };
}

export async function parquetReader(file: string, fields: CorpusFields = {}): Promise<CorpusReader> {
  const hp = (await import("hyparquet")) as unknown as Hyparquet;
  const { buffer, close } = await fileBuffer(file);
  let metadata: FileMetaData;
  try {
    metadata = await hp.parquetMetadataAsync(buffer);
  } catch (e) {
    await close();
    throw new AttnlensError("BAD_INPUT", `${file} is not a readable Parquet file: ${(e as Error).message}`);
  }
  const textField = fields.text ?? "text";
  const names = new Set(metadata.schema.slice(1).map((s) => s.name));
  const wanted = [textField, fields.pair, fields.target].filter((f): f is string => f != null);
  const missing = wanted.filter((f) => !names.has(f));
  if (missing.length > 0) {
    await close();
    throw new AttnlensError(
      "BAD_INPUT",
      `${file} has no column ${missing.map((m) => `"${m}"`).join(", ")}; its columns are: ${[...names].join(", ")} (choose with --field / --pair-field / --target-field)`,
    );
  }
  const total = Number(metadata.num_rows);
  let done = 0;
  return {
    format: "parquet",
    total,
    fraction: () => (total === 0 ? 1 : done / total),
    async *records(): AsyncGenerator<CorpusRecord> {
      try {
        let rowStart = 0;
        for (const [g, group] of metadata.row_groups.entries()) {
          const rowEnd = rowStart + Number(group.num_rows);
          let rows: Record<string, unknown>[] | null = null;
          let failure = "";
          try {
            rows = await hp.parquetReadObjects({ file: buffer, metadata, columns: wanted, rowStart, rowEnd });
          } catch (e) {
            failure = (e as Error).message;
          }
          for (let r = rowStart; r < rowEnd; r++) {
            const line = r + 1;
            done = line;
            const row = rows?.[r - rowStart];
            if (!row)
              yield {
                line,
                problem: "badRow",
                reason: `row group ${g} could not be decoded: ${failure || "row missing"}`,
              };
            else yield fromRow(line, row, textField, fields);
          }
          rowStart = rowEnd;
        }
      } finally {
        await close();
      }
    },
  };
}
