/**
 * Weights for heads with a designed attention pattern. The residual stream is laid out in named
 * one-hot blocks, so each pattern is a small bilinear form: score(i, j) = c·[relation(i, j)].
 *
 *   [ token (V) | position (P) | segment (2) | previous token (V) | constant 1 ]
 */

/** The patterns a constructed head can have. */
export type HeadDesign =
  | "self" // attend to the same position (diagonal)
  | "previous" // attend to position i − 1
  | "next" // attend to position i + 1
  | "window" // attend uniformly to |i − j| ≤ width
  | "first" // attend to position 0 (a vertical strip)
  | "segment" // attend uniformly within the own segment (block)
  | "uniform" // attend uniformly to everything visible
  | "induction"; // attend to the position after the previous occurrence of the current token

/** Layout of a constructed model's residual stream: one-hot token, position and segment blocks. */
export interface StreamLayout {
  vocab: number;
  positions: number;
  /** Offsets of each block in the residual stream. */
  token: number;
  position: number;
  segment: number;
  previousToken: number;
  constant: number;
  /** Residual width. */
  width: number;
}

export function streamLayout(vocab: number, positions: number): StreamLayout {
  const token = 0;
  const position = vocab;
  const segment = position + positions;
  const previousToken = segment + 2;
  const constant = previousToken + vocab;
  return { vocab, positions, token, position, segment, previousToken, constant, width: constant + 1 };
}

/** Query and key maps of one head, each [width × width] (row = stream dim, col = head dim). */
export interface HeadWeights {
  query: Float32Array;
  key: Float32Array;
}

/**
 * Builds Wq, Wk for a pattern. Scores are `strength` where the relation holds and 0 elsewhere;
 * the graph divides by √width, so strength is pre-multiplied by it.
 */
export function designedHead(pattern: HeadDesign, s: StreamLayout, window: number, strength: number): HeadWeights {
  const n = s.width;
  const query = new Float32Array(n * n);
  const key = new Float32Array(n * n);
  const c = strength * Math.sqrt(n);
  const set = (m: Float32Array, row: number, col: number, v: number) => (m[row * n + col] = v);
  const P = s.positions;
  switch (pattern) {
    case "self":
    case "previous":
    case "next":
    case "window":
      for (let i = 0; i < P; i++) set(query, s.position + i, s.position + i, c);
      for (let j = 0; j < P; j++) {
        const targets =
          pattern === "self"
            ? [j]
            : pattern === "previous"
              ? [j + 1]
              : pattern === "next"
                ? [j - 1]
                : range(j - window, j + window);
        for (const t of targets) if (t >= 0 && t < P) set(key, s.position + j, s.position + t, 1);
      }
      break;
    case "first":
      set(query, s.constant, s.constant, c);
      set(key, s.position, s.constant, 1);
      break;
    case "segment":
      for (let g = 0; g < 2; g++) {
        set(query, s.segment + g, s.segment + g, c);
        set(key, s.segment + g, s.segment + g, 1);
      }
      break;
    case "uniform":
      break;
    case "induction":
      // Query: my token. Key: the token before j, which a layer-0 previous-token head wrote.
      for (let v = 0; v < s.vocab; v++) {
        set(query, s.token + v, s.token + v, c);
        set(key, s.previousToken + v, s.token + v, 1);
      }
      break;
  }
  return { query, key };
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}
