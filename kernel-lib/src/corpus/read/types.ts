/** What the corpus readers yield: one record per input read from DATA, good or bad, in file order. */

/** One input: its text (and optional sentence pair / decoder target). */
export interface CorpusText {
  text: string;
  pair?: string | null;
  target?: string | null;
}

/** Why a record could not be used. */
export type RecordProblem = "empty" | "undecodable" | "badJson" | "missingField" | "badRow";

/** One record of DATA: an input, or a problem at that line. `line` is 1-based (a row number in Parquet/Arrow). */
export type CorpusRecord = ({ line: number } & CorpusText) | { line: number; problem: RecordProblem; reason: string };

/** Which fields hold the text, the pair and the target (JSON lines, Parquet and Arrow columns). */
export interface CorpusFields {
  /** Default "text". */
  text?: string;
  pair?: string;
  target?: string;
}

/** A source of records with a progress fraction (bytes or rows read / all). */
export interface CorpusReader {
  /** The file's format. */
  format: "txt" | "jsonl" | "parquet" | "arrow";
  /** Every record of DATA, in file order (each call reads from the start). */
  records(): AsyncGenerator<CorpusRecord>;
  /** Fraction of DATA read so far, in [0, 1]. */
  fraction(): number;
  /** Rows in DATA when the format says (Parquet, Arrow file); null for line formats. */
  total: number | null;
}
