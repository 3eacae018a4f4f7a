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

export function axisTokens(stream: TokenStream, sample: number, cells: number, bin: number): AxisTokens {
  const text = stream.text[sample] ?? [];
  const labels: string[] = [];
  const positions: number[] = [];
  for (let c = 0; c < cells; c++) {
    const first = c * bin;
    const last = Math.min(text.length, first + bin) - 1;
    positions.push(stream.start + first);
    labels.push(bin === 1 ? (text[first] ?? String(first)) : `${text[first]} … ${text[last]}`);
  }
  return {
    labels,
    positions,
    bin,
    special: new Set(bin === 1 ? stream.special[sample] : []),
    padding: new Set(bin === 1 ? stream.padding[sample] : []),
  };
}
