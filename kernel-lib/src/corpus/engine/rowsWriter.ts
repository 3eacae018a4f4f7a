/**
 * The opt-in per input × head rows (`--rows`): buffered between checkpoints and written, at each
 * checkpoint, as one part file DIR/rows/part-<first record>.parquet (before state.json, so a part
 * never holds rows the checkpoint has not counted: a resumed run rewrites the same part). At the
 * end the parts become one DIR/rows.parquet, one row group per part, read one part at a time.
 * hyparquet-writer (pure JavaScript) writes them.
 */

import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import { AttnlensError } from "../../errors";
import { replaceFileInDir } from "../../output/files/replaceFile";
import { CORPUS_METRICS, type HeadValues } from "../aggregate/headAggregate";

interface Column {
  name: string;
  data: unknown[];
  type: "INT32" | "STRING" | "DOUBLE";
  nullable?: boolean;
}
/** The part of hyparquet-writer / hyparquet (ES modules, loaded with a real import()) used here. */
interface Writer {
  parquetWriteBuffer(o: { columnData: Column[] }): ArrayBuffer;
  fileWriter(file: string): unknown;
  schemaFromColumnData(o: { columnData: Column[] }): unknown;
  ParquetWriter: new (o: {
    writer: unknown;
    schema: unknown;
  }) => {
    write(o: { columnData: Column[] }): void | Promise<void>;
    finish(): void | Promise<void>;
  };
}
interface Reader {
  asyncBufferFromFile(file: string): Promise<unknown>;
  parquetMetadataAsync(file: unknown): Promise<{ row_groups: { num_rows: bigint }[] }>;
  parquetReadObjects(o: {
    file: unknown;
    metadata: unknown;
    rowStart: number;
    rowEnd: number;
  }): Promise<Record<string, unknown>[]>;
}

export const ROWS_FILE = "rows.parquet";
const PARTS = "rows";

export class RowsWriter {
  private line: number[] = [];
  private site: string[] = [];
  private head: number[] = [];
  private pattern: (string | null)[] = [];
  private values = CORPUS_METRICS.map(() => [] as (number | null)[]);

  constructor(private readonly dir: string) {}

  /** Removes the parts and rows.parquet of an earlier run (--restart). */
  static clear(dir: string): void {
    const parts = partsDir(dir);
    for (const f of readdirSync(parts)) if (/^part-\d+\.parquet$/.test(f)) rmSync(path.join(parts, f));
    rmSync(path.join(dir, ROWS_FILE), { force: true });
  }

  /**
   * A finished job's rows.parquet becomes the first part again when a rerun (a larger --limit) goes on,
   * so the join at the end keeps its rows.
   */
  static reopen(dir: string): void {
    const joined = path.join(dir, ROWS_FILE);
    const first = path.join(dir, PARTS, `part-${"0".repeat(12)}.parquet`);
    if (!existsSync(joined) || existsSync(first)) return;
    renameSync(joined, path.join(partsDir(dir), path.basename(first)));
  }

  add(line: number, site: string, head: number, values: HeadValues, pattern: string | null): void {
    this.line.push(line);
    this.site.push(site);
    this.head.push(head);
    this.pattern.push(pattern);
    CORPUS_METRICS.forEach((m, k) => this.values[k].push(values[m] ?? null));
  }

  private columns(): Column[] {
    return [
      { name: "line", data: this.line, type: "INT32" },
      { name: "site", data: this.site, type: "STRING" },
      { name: "head", data: this.head, type: "INT32" },
      ...CORPUS_METRICS.map((m, k): Column => ({ name: m, data: this.values[k], type: "DOUBLE", nullable: true })),
      { name: "pattern", data: this.pattern, type: "STRING", nullable: true },
    ];
  }

  /** Writes the buffered rows as the part that starts at record `first` (a no-op when empty). */
  async flush(first: number): Promise<void> {
    if (this.line.length === 0) return;
    const w = (await import("hyparquet-writer")) as unknown as Writer;
    const parts = partsDir(this.dir);
    const bytes = new Uint8Array(w.parquetWriteBuffer({ columnData: this.columns() }));
    replaceFileInDir(parts, `part-${String(first).padStart(12, "0")}.parquet`, bytes);
    this.line = [];
    this.site = [];
    this.head = [];
    this.pattern = [];
    this.values = CORPUS_METRICS.map(() => []);
  }

  /** Joins the parts into DIR/rows.parquet (then removes them). */
  static async join(dir: string): Promise<void> {
    const parts = path.join(dir, PARTS);
    const files = existsSync(parts)
      ? readdirSync(parts)
          .filter((f) => /^part-\d+\.parquet$/.test(f))
          .sort()
      : [];
    const w = (await import("hyparquet-writer")) as unknown as Writer;
    const r = (await import("hyparquet")) as unknown as Reader;
    const temp = path.join(dir, `.${ROWS_FILE}.${randomBytes(6).toString("hex")}.tmp`);
    let writer: InstanceType<Writer["ParquetWriter"]> | null = null;
    for (const f of files) {
      // Row group by row group: the earlier run's rows.parquet (a resumed, finished job) may be large.
      const file = await r.asyncBufferFromFile(path.join(parts, f));
      const metadata = await r.parquetMetadataAsync(file);
      let rowStart = 0;
      for (const group of metadata.row_groups) {
        const rowEnd = rowStart + Number(group.num_rows);
        const rows = await r.parquetReadObjects({ file, metadata, rowStart, rowEnd });
        rowStart = rowEnd;
        const part = new RowsWriter(dir);
        for (const row of rows) {
          const values: HeadValues = {};
          for (const m of CORPUS_METRICS) values[m] = row[m] as number | null;
          part.add(row.line as number, row.site as string, row.head as number, values, row.pattern as string | null);
        }
        const columnData = part.columns();
        writer ??= new w.ParquetWriter({ writer: w.fileWriter(temp), schema: w.schemaFromColumnData({ columnData }) });
        await writer.write({ columnData });
      }
    }
    if (!writer) {
      if (existsSync(parts) && readdirSync(parts).length === 0) rmdirSync(parts);
      return;
    }
    await writer.finish();
    renameSync(temp, path.join(dir, ROWS_FILE));
    for (const f of files) rmSync(path.join(parts, f));
    // Other files someone put there stay, and so does the folder.
    if (readdirSync(parts).length === 0) rmdirSync(parts);
  }
}

/** DIR/rows, created if needed; a link planted there is refused (nothing is written outside DIR). */
function partsDir(dir: string): string {
  const parts = path.join(dir, PARTS);
  if (existsSync(parts) && !lstatSync(parts).isDirectory()) {
    throw new AttnlensError(
      "BAD_INPUT",
      `${parts} is not a folder (a link or a file): remove it, or choose another --out`,
    );
  }
  mkdirSync(parts, { recursive: true });
  return parts;
}
