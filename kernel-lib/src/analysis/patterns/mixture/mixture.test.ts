/**
 * The mixture fit against designed mixtures written here from the model's formula (not from the
 * classifier's templates): row i = Σₖ wₖ·tₖ(i) + (1 − Σₖ wₖ)·Dirichlet(α) noise over the row's
 * visible sources, where tₖ(i) is uniform on the pattern's sources and a pattern with no source on
 * row i gives its weight to the noise; a component's weight is the mean weight its part placed on
 * a row (docs/metrics.md, "Mixtures"). Components must come back within 0.05 each, with no other
 * component; null maps must give no component in ≥ 98 % of heads.
 */
import { describe, expect, it } from "vitest";
import { testSite } from "../../../../test/randomSites";
import type { AttentionResult, SiteAttention, TokenInfo } from "../../../result/types";
import { dirichletRow, dirichletSite, shuffledSite } from "../../../testing/nullMaps";
import { NULL_ALPHAS } from "../../../testing/nullRates";
import { seededRandom } from "../../../util/random";
import { siteGeometry } from "../../metrics/geometry";
import { scanSite } from "../../metrics/scan";
import { labelHead, mixtureRequest } from "../classify";
import { evidencePass } from "../evidence";
import { headPatterns } from "../headPatterns";
import { COMPONENT_MIN, WINDOW_MAX } from "../thresholds";
import { SiteMixtures } from "./fitMixture";

type Part =
  | { kind: "diagonal" | "previous" | "next"; weight: number }
  | { kind: "column"; at: "first" | "last"; weight: number }
  | { kind: "window"; width: number; weight: number }
  | { kind: "induction"; weight: number }
  | { kind: "segment"; weight: number };

interface Design {
  T: number;
  causal: boolean;
  samples: number;
  parts: Part[];
  /** Dirichlet concentration of the rest of each row. */
  alpha: number;
  /** Token ids per sample, or none; special: positions marked special ([CLS]/[SEP]/start). */
  ids?: (b: number) => number[];
  special?: (T: number) => number[];
  segments?: (T: number) => Int32Array;
  seed: number;
}

/** Sources of one pattern on row i (visible: j ≤ i when causal), from its definition. */
function sources(part: Part, i: number, T: number, causal: boolean, ids?: number[], seg?: Int32Array): number[] {
  const visible = (j: number) => j >= 0 && j < T && (!causal || j <= i);
  const cells = (xs: number[]) => xs.filter(visible);
  switch (part.kind) {
    case "diagonal":
      return cells([i]);
    case "previous":
      return cells([i - 1]);
    case "next":
      return cells([i + 1]);
    case "column":
      return cells([part.at === "first" ? 0 : T - 1]);
    case "window":
      return cells(Array.from({ length: 2 * part.width + 1 }, (_, d) => i - part.width + d));
    case "segment":
      return cells(Array.from({ length: T }, (_, j) => j)).filter((j) => seg !== undefined && seg[j] === seg[i]);
    case "induction": {
      // The token after each earlier occurrence of the current token.
      const out: number[] = [];
      if (ids) for (let k = 0; k < i; k++) if (ids[k] === ids[i]) out.push(k + 1);
      return out;
    }
  }
}

/** Per row (n ≥ 2): which parts had sources (a bit mask) and the weight each part placed. */
interface RowRecord {
  mask: number;
  placed: number[];
}

function build(d: Design): {
  site: SiteAttention;
  result: AttentionResult;
  segments?: Int32Array[];
  rows: RowRecord[];
} {
  const { T, causal, samples: B } = d;
  const rand = seededRandom(d.seed);
  const data = new Float32Array(B * T * T);
  const noise = new Float32Array(T);
  const tokens: TokenInfo[][] = [];
  const segments: Int32Array[] = [];
  const records: RowRecord[] = [];
  for (let b = 0; b < B; b++) {
    const ids = d.ids?.(b);
    const seg = d.segments?.(T);
    if (seg) segments.push(seg);
    const special = d.special?.(T) ?? [];
    tokens.push(
      Array.from({ length: T }, (_, j) => ({
        text: special.includes(j) ? (j === 0 ? "[CLS]" : "[SEP]") : `w${ids?.[j] ?? j}`,
        id: ids?.[j] ?? 1000 + j,
        word: j,
        special: special.includes(j),
      })),
    );
    for (let i = 0; i < T; i++) {
      const n = causal ? i + 1 : T;
      const row = data.subarray((b * T + i) * T, (b * T + i + 1) * T);
      let rest = 1;
      const record: RowRecord = { mask: 0, placed: d.parts.map(() => 0) };
      d.parts.forEach((part, k) => {
        const set = sources(part, i, T, causal, ids, seg);
        if (set.length === 0) return;
        for (const j of set) row[j] += part.weight / set.length;
        rest -= part.weight;
        record.mask |= 1 << k;
        record.placed[k] = part.weight;
      });
      if (n >= 2) records.push(record);
      dirichletRow(noise, n, d.alpha, rand);
      for (let j = 0; j < n; j++) row[j] += rest * noise[j];
    }
  }
  const site = testSite(false, causal, data, [B, 1, T, T]);
  const result: AttentionResult = {
    sites: [site],
    provider: "cpu",
    fallbacks: [],
    masks: {},
    outputs: {},
    tokens: { source: tokens },
  };
  return { site, result, segments: d.segments ? segments : undefined, rows: records };
}

/**
 * What each designed part must come back as, and its weight: the mean weight it placed on a row,
 * over the rows whose set of defined parts is shared by at least max(3, 10 % of the rows) rows
 * (docs/metrics.md: a weight is the mean share of a row its template explains; classes of rows
 * too small to fit are left out).
 */
function expected(d: Design, rows: RowRecord[]): Record<string, number> {
  const minRows = Math.max(3, Math.ceil(0.1 * rows.length));
  const count = new Map<number, number>();
  for (const r of rows) count.set(r.mask, (count.get(r.mask) ?? 0) + 1);
  const kept = rows.filter((r) => (count.get(r.mask) ?? 0) >= minRows);
  const want: Record<string, number> = {};
  d.parts.forEach((p, k) => {
    const name = p.kind === "column" ? "sink" : p.kind === "window" ? "local" : p.kind === "segment" ? "block" : p.kind;
    want[name] = (want[name] ?? 0) + kept.reduce((s, r) => s + r.placed[k], 0) / kept.length;
  });
  return want;
}

const repeated = (T: number, period: number, seed: number) => (b: number) => {
  const rand = seededRandom(seed + b);
  const motif = Array.from({ length: period }, () => 10 + Math.floor(rand() * 5000));
  return Array.from({ length: T }, (_, j) => (j === 0 ? 1 : motif[(j - 1) % period]));
};
const sepAtEnd = (T: number) => [0, T - 1];
const startOnly = () => [0];
const twoSegments = (T: number) => Int32Array.from({ length: T }, (_, j) => (j < T / 2 ? 0 : 1));

const DESIGNS: (Omit<Design, "T" | "seed"> & { name: string; lengths: number[] })[] = [
  {
    name: "previous 0.5 + next 0.4",
    causal: false,
    samples: 1,
    lengths: [16, 32, 64],
    alpha: 1,
    parts: [
      { kind: "previous", weight: 0.5 },
      { kind: "next", weight: 0.4 },
    ],
  },
  {
    name: "diagonal 0.45 + [SEP] 0.45",
    causal: false,
    samples: 2,
    lengths: [16, 48],
    alpha: 0.5,
    special: sepAtEnd,
    parts: [
      { kind: "diagonal", weight: 0.45 },
      { kind: "column", at: "last", weight: 0.45 },
    ],
  },
  {
    name: "induction 0.5 + start sink 0.4 (causal)",
    causal: true,
    samples: 2,
    lengths: [32, 64],
    alpha: 1,
    special: startOnly,
    parts: [
      { kind: "induction", weight: 0.5 },
      { kind: "column", at: "first", weight: 0.4 },
    ],
  },
  {
    name: "previous 0.5 + start sink 0.4 (causal)",
    causal: true,
    samples: 1,
    lengths: [16, 64],
    alpha: 0.3,
    special: startOnly,
    parts: [
      { kind: "previous", weight: 0.5 },
      { kind: "column", at: "first", weight: 0.4 },
    ],
  },
  {
    name: "diagonal 0.4 + previous 0.3 + [SEP] 0.25",
    causal: false,
    samples: 2,
    lengths: [24, 64],
    alpha: 1,
    special: sepAtEnd,
    parts: [
      { kind: "diagonal", weight: 0.4 },
      { kind: "previous", weight: 0.3 },
      { kind: "column", at: "last", weight: 0.25 },
    ],
  },
  {
    name: "previous 0.35 + diagonal 0.25 + start sink 0.3 (causal)",
    causal: true,
    samples: 2,
    lengths: [32, 96],
    alpha: 0.5,
    special: startOnly,
    parts: [
      { kind: "previous", weight: 0.35 },
      { kind: "diagonal", weight: 0.25 },
      { kind: "column", at: "first", weight: 0.3 },
    ],
  },
  {
    name: "window 3 0.5 + [CLS] 0.3",
    causal: false,
    samples: 2,
    lengths: [32, 64],
    alpha: 1,
    special: sepAtEnd,
    parts: [
      { kind: "window", width: 3, weight: 0.5 },
      { kind: "column", at: "first", weight: 0.3 },
    ],
  },
  {
    name: "segment 0.5 + next 0.3",
    causal: false,
    samples: 1,
    lengths: [32, 64],
    alpha: 1,
    segments: twoSegments,
    parts: [
      { kind: "segment", weight: 0.5 },
      { kind: "next", weight: 0.3 },
    ],
  },
];

describe("mixture fit on designed mixtures", () => {
  for (const design of DESIGNS) {
    it(`recovers ${design.name} within 0.05 per component`, () => {
      design.lengths.forEach((T, k) => {
        const d: Design = {
          ...design,
          T,
          seed: 100 + k,
          ids: design.parts.some((p) => p.kind === "induction") ? repeated(T, 7, 40 + k) : design.ids,
        };
        const { site, result, segments, rows } = build(d);
        const p = headPatterns(result, site, segments ? { segments: { encoder: segments } } : {})[0];
        const want = expected(d, rows);
        const got = Object.fromEntries(p.components.map((c) => [c.pattern, c.weight]));
        // Every designed part comes back, within 0.05, and nothing else.
        expect([T, Object.keys(got).sort()]).toEqual([T, Object.keys(want).sort()]);
        for (const [name, w] of Object.entries(want)) {
          expect([T, name, Math.abs(got[name] - w) < 0.05]).toEqual([T, name, true]);
        }
        // The combined label names every component; the label is one of them.
        expect(p.combined.split("+").sort()).toEqual(Object.keys(want).sort());
      });
    });
  }
});

describe("mixture fit on null maps", () => {
  it("gives no component above COMPONENT_MIN to ≥ 98 % of null heads at T = 8 … 128", () => {
    for (const causal of [false, true]) {
      for (const T of [8, 16, 32, 64, 128]) {
        const heads = T >= 128 ? 8 : T >= 64 ? 16 : 40;
        const o = { heads, length: T, causal };
        const sites = [
          ...NULL_ALPHAS.map((alpha, k) => dirichletSite(alpha, { ...o, seed: 900 + 10 * T + k })),
          shuffledSite("rows", { ...o, seed: 990 + T }),
          shuffledSite("columns", { ...o, seed: 995 + T }),
        ];
        let total = 0;
        let spurious = 0;
        for (const site of sites) {
          const result: AttentionResult = { sites: [site], provider: "cpu", fallbacks: [], masks: {}, outputs: {} };
          for (const p of headPatterns(result, site)) {
            total++;
            if (p.components.some((c) => c.weight >= COMPONENT_MIN)) spurious++;
          }
        }
        expect([T, causal, spurious / total <= 0.02]).toEqual([T, causal, true]);
      }
    }
  });
});

describe("the induction masses the fit shares with the evidence pass", () => {
  it("give the fit it gets reading the maps itself, to the bit", () => {
    let inductionHeads = 0;
    for (const design of DESIGNS.filter((x) => x.parts.some((p) => p.kind === "induction"))) {
      for (const [k, T] of design.lengths.entries()) {
        const d: Design = { ...design, T, seed: 300 + k, ids: repeated(T, 7, 60 + k) };
        const { site, result } = build(d);
        const geo = siteGeometry(result, site, {});
        const scan = scanSite(site, geo, 1e-3, WINDOW_MAX);
        const { heads, induction } = evidencePass(site, geo, scan);
        expect(induction).not.toBeNull();
        const shared = new SiteMixtures(site, geo, scan, induction);
        const own = new SiteMixtures(site, geo, scan);
        heads.forEach((ev, h) => {
          const request = mixtureRequest(ev, labelHead(ev));
          const fit = shared.fit(h, request);
          if (fit.templates.includes("induction")) inductionHeads++;
          expect(fit).toEqual(own.fit(h, request));
        });
      }
    }
    expect(inductionHeads).toBeGreaterThan(0);
  });
});
