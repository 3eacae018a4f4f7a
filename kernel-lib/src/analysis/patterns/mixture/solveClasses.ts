/**
 * The mixture fit's second half: each row class (the rows on which the same templates are
 * defined) is solved on its own, and the head's weights are the classes' weights averaged by their
 * rows, so each weight is the mean share of a row that its template explains. An induction head
 * that parks on the start token where the current token has no earlier occurrence is then
 * "induction ≈ the share of rows with one + sink ≈ the share without", not a compromise between
 * the two (one weight for all rows would be neither).
 *
 * Standard errors: the average is a smooth function of the blocks' sums, so each block's influence
 * on it is Σ_c (n_c/N)·H_c⁻¹·g_{c,B} (H_c the class's Gram matrix on its non-zero weights, g_{c,B}
 * = b_{c,B} − G_{c,B}·w_c its block's score), and the variance is the sum of the squared
 * influences times nb/(nb − 1): the block sandwich, by class.
 */
import type { MixtureFit, MixtureRequest, MixtureTemplate } from "./fitMixture";
import { simplexLeastSquares } from "./simplexLeastSquares";

/** One row class: which templates are defined (bit k for template k), its rows, and its per-block sums. */
export interface RowClass {
  mask: number;
  rows: number;
  /** Per block, the K×K sums Σᵢ ⟨tₖ − uᵢ, tₗ − uᵢ⟩ (row-major), from gram[gramAt] on. */
  gram: Float64Array;
  gramAt: number;
  /** Per block, the K sums Σᵢ ⟨aᵢ − uᵢ, tₖ − uᵢ⟩, from rhs[rhsAt] on. */
  rhs: Float64Array;
  rhsAt: number;
}

/** Buffers the solver reuses from head to head (grown as needed): the fit allocates nothing per class. */
class Room {
  G = new Float64Array(64);
  b = new Float64Array(8);
  Gs = new Float64Array(81);
  bs = new Float64Array(9);
  w = new Float64Array(8);
  H = new Float64Array(64);
  inverse = new Float64Array(64);
  g = new Float64Array(8);
  influence = new Float64Array(128);
  influenceTotal = new Float64Array(128);
  weights = new Float64Array(8);
}
const room = new Room();

/** room[name], at least n entries, the first n zeroed. */
function zeros(name: keyof Room, n: number): Float64Array {
  let b = room[name];
  if (b.length < n) room[name] = b = new Float64Array(n);
  else b.fill(0, 0, n);
  return b;
}

/** H⁻¹ of an F×F matrix by Gauss–Jordan with partial pivoting (H is overwritten; null when singular). */
function inverse(H: Float64Array, F: number): Float64Array | null {
  const out = zeros("inverse", F * F);
  for (let r = 0; r < F; r++) out[r * F + r] = 1;
  for (let c = 0; c < F; c++) {
    let pivot = c;
    for (let r = c + 1; r < F; r++) if (Math.abs(H[r * F + c]) > Math.abs(H[pivot * F + c])) pivot = r;
    if (!(Math.abs(H[pivot * F + c]) > 0)) return null;
    if (pivot !== c) {
      for (let k = 0; k < F; k++) {
        let t = H[c * F + k];
        H[c * F + k] = H[pivot * F + k];
        H[pivot * F + k] = t;
        t = out[c * F + k];
        out[c * F + k] = out[pivot * F + k];
        out[pivot * F + k] = t;
      }
    }
    const d = H[c * F + c];
    for (let k = 0; k < F; k++) {
      H[c * F + k] /= d;
      out[c * F + k] /= d;
    }
    for (let r = 0; r < F; r++) {
      if (r === c) continue;
      const f = H[r * F + c];
      if (f === 0) continue;
      for (let k = 0; k < F; k++) {
        H[r * F + k] -= f * H[c * F + k];
        out[r * F + k] -= f * out[c * F + k];
      }
    }
  }
  return out;
}

/**
 * Fits one class: its weights (w, length K) and, per block, its score mapped through H⁻¹
 * (influence, nb × K), in the room's buffers (valid until the next class); the kept templates.
 */
function solveClass(rc: RowClass, K: number, nb: number, usable: (k: number) => boolean) {
  const KK = K * K;
  const G = zeros("G", KK);
  const b = zeros("b", K);
  const { gram, rhs, gramAt, rhsAt } = rc;
  for (let B = 0; B < nb; B++) {
    for (let x = 0; x < KK; x++) G[x] += gram[gramAt + B * KK + x];
    for (let k = 0; k < K; k++) b[k] += rhs[rhsAt + B * K + k];
  }
  const keep: number[] = [];
  for (let k = 0; k < K; k++) if ((rc.mask >> k) & 1 && usable(k) && G[k * K + k] > 0) keep.push(k);
  // The solver's variables: the kept templates, then the uniform template (zero row and column).
  const N = keep.length + 1;
  const Gs = zeros("Gs", N * N);
  const bs = zeros("bs", N);
  for (let r = 0; r < keep.length; r++) {
    const k = keep[r];
    for (let c = 0; c < keep.length; c++) Gs[r * N + c] = G[k * K + keep[c]];
    bs[r] = b[k];
  }
  const solved = simplexLeastSquares(Gs, bs, N, N - 1);
  const w = zeros("w", K);
  for (let r = 0; r < keep.length; r++) w[keep[r]] = solved[r];
  const free = keep.filter((k) => w[k] > 0);
  const F = free.length;
  const influence = zeros("influence", nb * K);
  const H = zeros("H", F * F);
  for (let r = 0; r < F; r++) for (let c = 0; c < F; c++) H[r * F + c] = G[free[r] * K + free[c]];
  const Hinv = F > 0 ? inverse(H, F) : null;
  if (Hinv) {
    const g = zeros("g", F);
    for (let B = 0; B < nb; B++) {
      for (let r = 0; r < F; r++) {
        const k = free[r];
        let s = rhs[rhsAt + B * K + k];
        for (const l of keep) s -= gram[gramAt + B * KK + k * K + l] * w[l];
        g[r] = s;
      }
      for (let r = 0; r < F; r++) {
        let v = 0;
        for (let c = 0; c < F; c++) v += Hinv[r * F + c] * g[c];
        influence[B * K + free[r]] = v;
      }
    }
  } else if (F > 0) {
    // A singular Gram matrix on the non-zero weights: their errors cannot be told, so none passes.
    for (const k of free) influence[k] = Number.POSITIVE_INFINITY;
  }
  return { w, keep, influence };
}

/** The head's fit from its row classes (see the file comment). */
export function solveClasses(
  candidates: MixtureTemplate[],
  classes: RowClass[],
  informative: Float64Array,
  request: MixtureRequest,
  used: number,
  blockRows: Float64Array,
): MixtureFit {
  const K = candidates.length;
  const nb = blockRows.length;
  // Classes of fewer rows than a pattern needs are left out of the average.
  const minRows = request.minRows;
  let total = 0;
  for (const c of classes) if (c.rows >= minRows) total += c.rows;
  // The classes' averages, in the room too (read below, before the next head).
  const influence = zeros("influenceTotal", nb * K);
  const weights = zeros("weights", K);
  const usable = (k: number) => informative[k] >= minRows;
  let fittedMask = 0;
  for (const rc of classes) {
    if (rc.rows < minRows) continue;
    const share = rc.rows / total;
    const one = solveClass(rc, K, nb, usable);
    for (const k of one.keep) fittedMask |= 1 << k;
    for (let k = 0; k < K; k++) weights[k] += share * one.w[k];
    for (let x = 0; x < nb * K; x++) influence[x] += share * one.influence[x];
  }
  let blocks = 0;
  for (const r of blockRows) if (r > 0) blocks++;
  const factor = blocks > 1 ? blocks / (blocks - 1) : 1;
  const order: number[] = [];
  for (let k = 0; k < K; k++) if ((fittedMask >> k) & 1) order.push(k);
  const errors = order.map((k) => {
    if (weights[k] === 0) return 0;
    let q = 0;
    for (let B = 0; B < nb; B++) if (blockRows[B] > 0) q += influence[B * K + k] ** 2;
    return Math.sqrt(q * factor);
  });
  const templates = order.map((k) => candidates[k]);
  const list = order.map((k) => weights[k]);
  return {
    templates,
    weights: list,
    errors,
    uniform: Math.max(0, 1 - list.reduce((s, x) => s + x, 0)),
    window: templates.includes("local") ? request.window : null,
    rows: used,
    blocks,
  };
}
