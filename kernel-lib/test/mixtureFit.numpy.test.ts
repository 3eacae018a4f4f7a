/**
 * The mixture fit (src/analysis/patterns/mixture) against a numpy reference written from the
 * problem statement in docs/metrics.md ("Mixtures"): dense templates built row by row from their
 * definitions, rows grouped by which templates are defined, per group the least squares
 * min ‖(A − U) − Σₖ wₖ(Tₖ − U)‖² over w ≥ 0, Σw ≤ 1 solved by brute force over active sets (every
 * subset, with and without Σw = 1 binding; the best feasible one), the groups' weights averaged by
 * their rows, and the block-sandwich standard errors of that average. Same float32 maps, same templates; the fit works from
 * row statistics and geometry, the reference from the dense rows. Causal and bidirectional, one
 * and two samples, segments, induction targets, strip columns, the local window.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runPython } from "../../test/pythonEnv";
import { siteGeometry } from "../src/analysis/metrics/geometry";
import { scanSite } from "../src/analysis/metrics/scan";
import { labelHead } from "../src/analysis/patterns/classify";
import { headEvidence } from "../src/analysis/patterns/evidence";
import { SiteMixtures } from "../src/analysis/patterns/mixture/fitMixture";
import { WINDOW_MAX } from "../src/analysis/patterns/thresholds";
import type { AttentionResult, TokenInfo } from "../src/result/types";
import { dirichletRow } from "../src/testing/nullMaps";
import { seededRandom } from "../src/util/random";
import { testSite } from "./randomSites";

/** Rows a template or a row class needs (the fit's minRows). */
const MIN_ROWS = 3;

const REFERENCE = String.raw`
import itertools, json, sys
import numpy as np

case = json.load(open(sys.argv[1]))
B, H, T, S = case["dims"]
A = np.array(case["data"], dtype=np.float32).astype(np.float64).reshape(B, H, T, S)
causal = case["causal"]
blocks = min(16, B * T)

def sets(name, b, i, n, w, strip):
    ids, seg = case["ids"][b], case["segments"][b]
    vis = range(n)
    if name == "diagonal": return [i]
    if name == "previous": return [i - 1] if i >= 1 else []
    if name == "next": return [i + 1] if i + 1 < n else []
    if name == "local": return [j for j in vis if abs(j - i) <= w]
    if name == "block": return [j for j in vis if seg[j] == seg[i]] if seg else []
    if name == "induction": return [k + 1 for k in range(i) if ids[k] == ids[i]] if ids else []
    if name == "sink": return [c for c in strip[b] if c < n]
    raise ValueError(name)

def brute(X, y):
    K = X.shape[1]
    best, best_w = np.inf, np.zeros(K)
    for r in range(K + 1):
        for P in itertools.combinations(range(K), r):
            P = list(P)
            cands = [np.zeros(0)]
            if P:
                cands = [np.linalg.lstsq(X[:, P], y, rcond=None)[0]]
                G = X[:, P].T @ X[:, P]
                M = np.block([[G, np.ones((len(P), 1))], [np.ones((1, len(P))), np.zeros((1, 1))]])
                cands.append(np.linalg.solve(M, np.concatenate([X[:, P].T @ y, [1.0]]))[:-1])
            for z in cands:
                if np.any(z < -1e-12) or z.sum() > 1 + 1e-12: continue
                wv = np.zeros(K); wv[P] = z
                f = np.sum((y - X @ wv) ** 2)
                if f < best - 1e-15: best, best_w = f, wv
    return best_w

min_rows = case["minRows"]
out = []
for head in case["heads"]:
    h, names, w, strip = head["head"], case["candidates"], head["window"], head["strip"]
    K = len(names)
    rows = []  # (mask, block, centred columns n×K, centred row)
    informative = np.zeros(K)
    for b in range(B):
        for i in range(T):
            n = i + 1 if causal else S
            if n < 2: continue
            u = np.full(n, 1.0 / n)
            cols, mask = [], 0
            for k, name in enumerate(names):
                s = sets(name, b, i, n, w, strip)
                t = u.copy()
                if s:
                    t = np.zeros(n); t[s] = 1.0 / len(s); mask |= 1 << k
                    if len(s) < n: informative[k] += 1
                cols.append(t - u)
            rows.append((mask, (b * T + i) * blocks // (B * T), np.stack(cols, axis=1), A[b, h, i, :n] - u))
    usable = informative >= min_rows
    masks = {}
    for r in rows: masks.setdefault(r[0], []).append(r)
    kept = [rs for rs in masks.values() if len(rs) >= min_rows]
    N = sum(len(rs) for rs in kept)
    weights = np.zeros(K)
    infl = np.zeros((blocks, K))
    for rs in kept:
        X = np.concatenate([r[2] for r in rs]); y = np.concatenate([r[3] for r in rs])
        blk = np.concatenate([[r[1]] * len(r[3]) for r in rs])
        mask = rs[0][0]
        use = [k for k in range(K) if mask >> k & 1 and usable[k] and np.any(X[:, k] != 0)]
        wc = np.zeros(K)
        if use: wc[use] = brute(X[:, use], y)
        share = len(rs) / N
        weights += share * wc
        F = [k for k in use if wc[k] > 0]
        if F:
            resid = y - X @ wc
            Hinv = np.linalg.inv(X[:, F].T @ X[:, F])
            for g in range(blocks):
                sel = blk == g
                if np.any(sel): infl[g, F] += share * (Hinv @ (X[sel][:, F].T @ resid[sel]))
    used = sorted({r[1] for r in rows})
    nb = len(used)
    se = np.sqrt((infl[used] ** 2).sum(axis=0) * (nb / (nb - 1) if nb > 1 else 1))
    out.append({"weights": dict(zip(names, weights.tolist())), "errors": dict(zip(names, se.tolist()))})
print(json.dumps(out))
`;

interface Case {
  name: string;
  T: number;
  B: number;
  causal: boolean;
  window: number;
  segments: boolean;
  induction: boolean;
  special: number[];
  seed: number;
  /** Weights summing to 1, no noise. */
  full?: boolean;
}

/** Random mixtures per head: random weights on a few patterns, the rest Dirichlet(0.5) noise. */
function makeCase(c: Case) {
  const rand = seededRandom(c.seed);
  const H = 4;
  const { T, B } = c;
  const ids = Array.from({ length: B }, () =>
    Array.from({ length: T }, () => (c.induction ? 1 + Math.floor(rand() * 5) : 0)),
  );
  const segments = Array.from({ length: B }, () => Array.from({ length: T }, (_, j) => (j < T / 3 ? 0 : 1)));
  const data = new Float32Array(B * H * T * T);
  const noise = new Float32Array(T);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      // Weights on the diagonal, the previous token, the special token, the next token and the first
      // induction target; with c.full they sum to 1 (no noise: the bound Σw ≤ 1 binds).
      const w = [0, 1, 2, 3, 4].map(() => rand());
      const total = w.reduce((x, y) => x + y, 0);
      for (let k = 0; k < w.length; k++) w[k] *= c.full ? 1 / total : 0.2;
      for (let i = 0; i < T; i++) {
        const n = c.causal ? i + 1 : T;
        const row = data.subarray(((b * H + h) * T + i) * T, ((b * H + h) * T + i + 1) * T);
        dirichletRow(noise, n, 0.5, rand);
        let target = -1;
        for (let k = 0; k < i; k++) if (c.induction && ids[b][k] === ids[b][i]) target = k + 1;
        const picks = [i, Math.max(0, i - 1), c.special[0] ?? 0, Math.min(n - 1, i + 1), target >= 0 ? target : i];
        let rest = 1;
        picks.forEach((j, k) => {
          row[j] += w[k];
          rest -= w[k];
        });
        for (let j = 0; j < n; j++) row[j] += Math.max(0, rest) * noise[j];
      }
    }
  const tokens: TokenInfo[][] = ids.map((list) =>
    list.map((id, j) => ({
      text: c.special.includes(j) ? (j === 0 ? "[CLS]" : "[SEP]") : `t${id}`,
      id: c.induction ? id : 1000 + j,
      word: j,
      special: c.special.includes(j),
    })),
  );
  const site = testSite(false, c.causal, data, [B, H, T, T]);
  const result: AttentionResult = {
    sites: [site],
    provider: "cpu",
    fallbacks: [],
    masks: {},
    outputs: {},
    tokens: { source: tokens },
  };
  const options = c.segments ? { segments: { encoder: segments.map((s) => Int32Array.from(s)) } } : {};
  return { site, result, options, ids, segments };
}

const CASES: Case[] = [
  {
    name: "bidirectional, segments, [SEP]",
    T: 12,
    B: 1,
    causal: false,
    window: 2,
    segments: true,
    induction: false,
    special: [11],
    seed: 1,
  },
  {
    name: "causal, induction, start token",
    T: 14,
    B: 2,
    causal: true,
    window: 3,
    segments: false,
    induction: true,
    special: [0],
    seed: 2,
  },
  {
    name: "bidirectional, two samples, everything",
    T: 10,
    B: 2,
    causal: false,
    window: 2,
    segments: true,
    induction: true,
    special: [0, 9],
    seed: 3,
  },
  {
    name: "causal, long rows, window",
    T: 40,
    B: 1,
    causal: true,
    window: 4,
    segments: false,
    induction: false,
    special: [0],
    seed: 4,
  },
  {
    name: "weights summing to 1 (the bound binds)",
    T: 16,
    B: 1,
    causal: false,
    window: 2,
    segments: false,
    induction: true,
    special: [15],
    seed: 5,
    full: true,
  },
];

describe("mixture fit against a numpy brute-force reference", () => {
  for (const c of CASES) {
    it(`agrees on ${c.name}`, () => {
      const { site, result, options, ids, segments } = makeCase(c);
      const geo = siteGeometry(result, site, options);
      const scan = scanSite(site, geo, 1e-3, WINDOW_MAX);
      const mixtures = new SiteMixtures(site, geo, scan);
      const evidence = headEvidence(site, geo, scan);
      const fits = evidence.map((ev, h) =>
        mixtures.fit(h, { strip: ev.strip, window: c.window, label: labelHead(ev).label, minRows: MIN_ROWS }),
      );
      const heads = evidence.map((ev, h) => ({ head: h, window: c.window, strip: ev.strip }));
      // Every template the case can measure was fitted.
      const want = [
        "diagonal",
        "previous",
        ...(c.causal ? [] : ["next"]),
        ...(c.induction ? ["induction"] : []),
        "local",
        ...(c.segments ? ["block"] : []),
      ];
      for (const f of fits) expect(f.templates.filter((t) => t !== "sink")).toEqual(want);
      expect(fits.some((f) => f.templates.includes("sink"))).toBe(true);
      const candidates = [...want, "sink"];
      const input = JSON.stringify({
        dims: site.dims,
        data: Array.from(site.data),
        causal: c.causal,
        ids: c.induction ? ids : ids.map(() => null),
        segments: c.segments ? segments : segments.map(() => null),
        heads,
        candidates,
        minRows: MIN_ROWS,
      });
      const dir = mkdtempSync(path.join(os.tmpdir(), "attnlens-mixture-"));
      const file = path.join(dir, "case.json");
      writeFileSync(file, input);
      let ref: { weights: Record<string, number>; errors: Record<string, number> }[];
      try {
        ref = JSON.parse(runPython(REFERENCE, [file]));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      fits.forEach((f, h) => {
        for (const name of candidates) {
          const k = f.templates.indexOf(name as (typeof f.templates)[number]);
          const w = k >= 0 ? f.weights[k] : 0;
          const e = k >= 0 ? f.errors[k] : 0;
          expect([h, name, w]).toEqual([h, name, expect.closeTo(ref[h].weights[name], 5)]);
          expect([h, name, e]).toEqual([h, name, expect.closeTo(ref[h].errors[name], 4)]);
        }
      });
    });
  }
});
