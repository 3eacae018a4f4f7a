/**
 * Induction targets: for source position p, the positions k + 1 with k < p and id[k] = id[p]
 * (the token after each earlier occurrence of the current token), as CSR arrays.
 */
export interface InductionTargets {
  /** Targets of p are at[start[p] .. start[p + 1]). */
  start: Int32Array;
  at: Int32Array;
}

export function inductionTargets(ids: Int32Array, valid: Uint8Array): InductionTargets {
  const seen = new Map<number, number[]>();
  const start = new Int32Array(ids.length + 1);
  const at: number[] = [];
  for (let p = 0; p < ids.length; p++) {
    start[p] = at.length;
    if (!valid[p]) continue;
    const earlier = seen.get(ids[p]);
    if (earlier) for (const k of earlier) if (valid[k + 1]) at.push(k + 1);
    if (earlier) earlier.push(p);
    else seen.set(ids[p], [p]);
  }
  start[ids.length] = at.length;
  return { start, at: Int32Array.from(at) };
}
