/**
 * The mixture fit's solver: min ½·wᵀGw − bᵀw over the simplex {w ≥ 0, Σw = 1}, for a small
 * positive semidefinite G (the normal equations of the per-head least squares, see fitMixture.ts).
 * The uniform template is one of the variables, with a zero row and column in G: its weight is the
 * slack that makes "the templates' weights sum to at most 1" a simplex.
 *
 * An active-set method (Lawson–Hanson's, on the face Σw = 1): start at a vertex, add the variable
 * whose gradient most exceeds the face's multiplier, solve the equality-constrained problem on the
 * active variables (its KKT system), and step back to the boundary when a weight would go negative.
 * With K ≤ 11 variables this is exact up to rounding and takes a few K×K solves.
 */

const MAX_STEPS = 100;

/**
 * Solves the n×n system A·x = rhs in place by Gaussian elimination with partial pivoting
 * (A row-major, overwritten; the answer is left in rhs). False when A is singular.
 */
export function solveInPlace(A: Float64Array, rhs: Float64Array, n: number): boolean {
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]) > Math.abs(A[pivot * n + c])) pivot = r;
    const top = A[pivot * n + c];
    if (!(Math.abs(top) > 0)) return false;
    if (pivot !== c) {
      for (let k = 0; k < n; k++) {
        const t = A[c * n + k];
        A[c * n + k] = A[pivot * n + k];
        A[pivot * n + k] = t;
      }
      const t = rhs[c];
      rhs[c] = rhs[pivot];
      rhs[pivot] = t;
    }
    for (let r = c + 1; r < n; r++) {
      const f = A[r * n + c] / top;
      if (f === 0) continue;
      for (let k = c; k < n; k++) A[r * n + k] -= f * A[c * n + k];
      rhs[r] -= f * rhs[c];
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    let s = rhs[c];
    for (let k = c + 1; k < n; k++) s -= A[c * n + k] * rhs[k];
    rhs[c] = s / A[c * n + c];
  }
  return true;
}

/** Room the solver reuses from call to call (grown as needed): no allocation per head. */
let room = new Float64Array(0);
let w = new Float64Array(0);
let z = new Float64Array(0);

function reserve(K: number): void {
  if (w.length >= K) return;
  w = new Float64Array(K);
  z = new Float64Array(K);
  room = new Float64Array((K + 1) * (K + 2));
}

/**
 * The minimizer of ½·wᵀGw − bᵀw on the face {w_P free, Σ_P w = 1, the rest 0}: the KKT system
 * [G_PP 1; 1ᵀ 0]·[z; μ] = [b_P; 1]. Writes z into `z` (zeros off P, K entries); returns μ, NaN when singular.
 */
function solveFace(G: Float64Array, b: Float64Array, K: number, active: number[], z: Float64Array): number {
  const n = active.length + 1;
  // room holds the (K + 1)² system and its K + 1 right-hand side.
  const A = room;
  const rhs = rhsRoom(n);
  A.fill(0, 0, n * n);
  for (let r = 0; r < n - 1; r++) {
    const k = active[r];
    for (let c = 0; c < n - 1; c++) A[r * n + c] = G[k * K + active[c]];
    A[r * n + n - 1] = 1;
    A[(n - 1) * n + r] = 1;
    rhs[r] = b[k];
  }
  rhs[n - 1] = 1;
  z.fill(0, 0, K);
  if (!solveInPlace(A, rhs, n)) return Number.NaN;
  for (let r = 0; r < n - 1; r++) z[active[r]] = rhs[r];
  return rhs[n - 1];
}

let rhsBuffer = new Float64Array(0);
function rhsRoom(n: number): Float64Array {
  if (rhsBuffer.length < n) rhsBuffer = new Float64Array(n);
  return rhsBuffer;
}

/**
 * The weights w (length K, on the simplex) minimizing ½·wᵀGw − bᵀw, starting from the vertex
 * `start` (the uniform template: a feasible point every head has). G is K×K row-major. The answer
 * is the solver's own buffer (its first K entries), valid until the next call: copy what you keep.
 */
export function simplexLeastSquares(G: Float64Array, b: Float64Array, K: number, start: number): Float64Array {
  reserve(K);
  w.fill(0, 0, K);
  w[start] = 1;
  let active = [start];
  let scale = 0;
  for (let k = 0; k < K; k++) scale = Math.max(scale, Math.abs(G[k * K + k]), Math.abs(b[k]));
  const tol = 1e-12 * Math.max(scale, 1e-300);
  for (let step = 0; step < MAX_STEPS; step++) {
    // The face's multiplier μ: the gradient b − Gw is μ on every active variable at the face's optimum.
    const k0 = active[0];
    let mu = b[k0];
    for (let l = 0; l < K; l++) mu -= G[k0 * K + l] * w[l];
    let enter = -1;
    let most = tol;
    for (let j = 0; j < K; j++) {
      if (active.includes(j)) continue;
      let r = b[j];
      for (let l = 0; l < K; l++) r -= G[j * K + l] * w[l];
      if (r - mu > most) {
        most = r - mu;
        enter = j;
      }
    }
    if (enter < 0) break;
    active.push(enter);
    // Solve on the face; when a weight would turn negative, step to the boundary and drop it.
    for (let inner = 0; inner < MAX_STEPS; inner++) {
      if (Number.isNaN(solveFace(G, b, K, active, z))) return w;
      if (active.every((k) => z[k] > 0)) {
        for (let k = 0; k < K; k++) w[k] = z[k];
        break;
      }
      let alpha = 1;
      let leave = -1;
      for (const k of active) {
        if (z[k] > 0) continue;
        const a = w[k] / (w[k] - z[k]);
        if (leave < 0 || a < alpha) {
          alpha = a;
          leave = k;
        }
      }
      for (const k of active) w[k] += alpha * (z[k] - w[k]);
      w[leave] = 0;
      active = active.filter((k) => k !== leave && w[k] > 1e-15);
      for (let k = 0; k < K; k++) if (!active.includes(k)) w[k] = 0;
      // Rounding can reject the entering variable at once: nothing left to gain.
      if ((inner === 0 && leave === enter) || active.length === 0) return normalize(w, K);
    }
  }
  return normalize(w, K);
}

/** Σw = 1 exactly over the first K entries (the steps keep it up to rounding). */
function normalize(w: Float64Array, K: number): Float64Array {
  let s = 0;
  for (let k = 0; k < K; k++) s += w[k];
  if (s > 0) for (let k = 0; k < K; k++) w[k] /= s;
  return w;
}
