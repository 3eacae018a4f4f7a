/** Axis labels from a token stream: one per token, or one per bin of pooled maps. */
import type { TokenStream } from "../payload/types";

export interface AxisTokens {
  /** Label per cell. */
  labels: string[];
  /** Model position of the cell's first token. */
  positions: number[];
  /** Tokens per cell. */
  bin: number;
  /** Indices (cells) that are special tokens / padding; only meaningful when bin = 1. */
  special: Set<number>;
  padding: Set<number>;
}

/** `offset`: the axis starts at that token of the stream (the rows of a KV-cache step, PayloadSite.rowOffset). */
export function axisTokens(stream: TokenStream, sample: number, cells: number, bin: number, offset = 0): AxisTokens {
  const text = stream.text[sample] ?? [];
  const labels: string[] = [];
  const positions: number[] = [];
  for (let c = 0; c < cells; c++) {
    const first = offset + c * bin;
    const last = Math.min(text.length, first + bin) - 1;
    positions.push(stream.start + first);
    labels.push(bin === 1 ? (text[first] ?? String(first)) : `${text[first]} … ${text[last]}`);
  }
  const cellsOf = (indices: number[] | undefined) =>
    new Set(bin === 1 ? (indices ?? []).map((i) => i - offset).filter((i) => i >= 0) : []);
  return { labels, positions, bin, special: cellsOf(stream.special[sample]), padding: cellsOf(stream.padding[sample]) };
}
