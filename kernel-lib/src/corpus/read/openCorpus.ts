/** Chooses the reader by DATA's extension: .txt, .jsonl (.ndjson), .parquet, .arrow / .feather / .arrows / .ipc. */
import { existsSync, statSync } from "node:fs";
import { AttnlensError } from "../../errors";
import { arrowReader } from "./arrow";
import { jsonLinesReader } from "./jsonLines";
import { parquetReader } from "./parquet";
import { textLinesReader } from "./textLines";
import type { CorpusFields, CorpusReader } from "./types";

export async function openCorpus(file: string, fields: CorpusFields = {}): Promise<CorpusReader> {
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new AttnlensError("BAD_INPUT", `no data file ${file}`);
  }
  const ext = file.toLowerCase().split(".").pop() ?? "";
  if (ext === "txt") {
    if (fields.pair || fields.target)
      throw new AttnlensError(
        "BAD_INPUT",
        `${file}: a .txt corpus has one text per line; pair and target fields need .jsonl, Parquet or Arrow`,
      );
    return textLinesReader(file);
  }
  if (ext === "jsonl" || ext === "ndjson") return jsonLinesReader(file, fields);
  if (ext === "parquet" || ext === "pq") return parquetReader(file, fields);
  if (ext === "arrow" || ext === "feather" || ext === "arrows" || ext === "ipc") return arrowReader(file, fields);
  throw new AttnlensError(
    "BAD_INPUT",
    `${file}: unknown data format ".${ext}"; use .txt (one input a line), .jsonl, .parquet or .arrow`,
  );
}
