/** `.txt` corpora: one input per line; blank lines and undecodable bytes are reported with their line. */
import { LineReader } from "./lines";
import type { CorpusReader, CorpusRecord } from "./types";

export function textLinesReader(file: string): CorpusReader {
  const lines = new LineReader(file);
  return {
    format: "txt",
    total: null,
    fraction: () => lines.fraction(),
    async *records(): AsyncGenerator<CorpusRecord> {
      for await (const { line, text } of lines.lines()) {
        if (text === null) yield { line, problem: "undecodable", reason: "bytes that are not UTF-8" };
        else if (text.trim() === "") yield { line, problem: "empty", reason: "empty line" };
        else yield { line, text };
      }
    },
  };
}
