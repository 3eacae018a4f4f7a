/**
 * The raw view's tallies summed by the WebAssembly module (windowTallies.ts: the windows and the
 * single-pattern tallies) and the windows by the JavaScript loop (Tally.addMasses)
 * against Tally.add row by row (the pass's row-at-a-time primitive): every field of every block
 * equal to the bit, on causal, bidirectional, padded and KV-cache sites; and a NaN mass on a
 * taken row reported, so the caller redoes the head.
 */
import { describe, expect, it } from "vitest";
import type { AttentionResult, SiteAttention } from "../../result/types";
import { dirichletSite } from "../../testing/nullMaps";
import { randomSite } from "../../testing/syntheticMaps";
import { siteGeometry } from "../metrics/geometry";
import { type SiteScan, scanSite } from "../metrics/scan";
import { wasmRowKernel } from "../metrics/wasm/kernel";
import { sharedSums } from "./rawTallies";
import { type RowTemplates, rowTemplates } from "./rowTemplates";
import { TALLY_BLOCKS, Tally, TallySummary } from "./tally";
import { WINDOW_MAX } from "./thresholds";
import { WasmWindowTallies } from "./windowTallies";

const resultOf = (site: SiteAttention): AttentionResult => ({
  sites: [site],
  provider: "cpu",
  fallbacks: [],
  masks: {},
  outputs: {},
});

function sites(): [string, SiteAttention][] {
  const out: [string, SiteAttention][] = [];
  for (const causal of [false, true]) {
    for (const T of [3, 8, 20, 70])
      out.push([`dirichlet T=${T} causal=${causal}`, dirichletSite(0.3, { heads: 3, length: T, causal, seed: T })]);
    out.push([
      `padded batch causal=${causal}`,
      randomSite("encoder", "self", 0, { dims: [3, 2, 40, 40], seed: 4, lengths: [40, 27, 9], sharpness: 5, causal }),
    ]);
  }
  out.push([
    "kv cache",
    randomSite("decoder", "self", 0, { dims: [1, 2, 10, 30], seed: 5, causal: true, sharpness: 4 }),
  ]);
  return out;
}

interface Case {
  scan: SiteScan;
  templates: RowTemplates[];
  dims: number[];
  W: number;
}

function prepare(site: SiteAttention): Case {
  const geo = siteGeometry(resultOf(site), site, {});
  const scan = scanSite(site, geo, 1e-3, WINDOW_MAX, "wasm");
  const [B, , T] = geo.dims;
  const blocks = Math.min(TALLY_BLOCKS, B * T);
  const W = scan.windowWidths;
  const templates = geo.samples.map((_, b) => rowTemplates(geo, b, scan.rows.sources, blocks, W, null));
  return { scan, templates, dims: geo.dims, W };
}

const FEEDS = ["diagonal", "previous", "next", "sparse", "sparseShort"] as const;
const MASSES = {
  diagonal: "self",
  previous: "previous",
  next: "next",
  sparse: "confidence",
  sparseShort: "confidence",
} as const;

/** Head h's window tallies, then its diagonal, previous, next and sparse pair, one row at a time. */
function rowByRow({ scan, templates, dims, W }: Case, h: number): Tally[] {
  const [B, H, T] = dims;
  const out = Array.from({ length: W + FEEDS.length }, () => new Tally());
  for (let b = 0; b < B; b++) {
    const tp = templates[b];
    for (let i = 0; i < T; i++) {
      const n = scan.rows.sources[b * T + i];
      if (n < 2) continue;
      const r = (b * H + h) * T + i;
      for (let w = 0; w < W; w++) {
        const t = i * W + w;
        out[w].add(scan.windows[r * W + w], tp.windows.count[t] / n, tp.windows.log[t], tp.blockOf[i]);
      }
      FEEDS.forEach((feed, k) => {
        const c = tp[feed];
        out[W + k].add(scan.rows[MASSES[feed]][r], c.count[i] / n, c.log[i], tp.blockOf[i]);
      });
    }
  }
  return out;
}

/** The same by the module; null when a mass sum was NaN. */
function byModule({ scan, templates, dims, W }: Case, h: number): Tally[] | null {
  const [B, H, T] = dims;
  const module = WasmWindowTallies.forSite(templates, T, W);
  if (!module) throw new Error("WebAssembly SIMD missing");
  const shared = sharedSums(templates, T, W);
  module.begin(shared.raw, shared.sparse);
  const induction = new Float64Array(T);
  for (let b = 0; b < B; b++) if (!module.add(b, scan, (b * H + h) * T, induction)) return null;
  // The module's raw view: diagonal, previous, next, induction, block, windows; then the sparse pair.
  const raw = Array.from({ length: 5 + W }, () => new Tally());
  const sparse = [new Tally(), new Tally()];
  Tally.setSums(raw, module.raw());
  Tally.setSums(sparse, module.sparse());
  return [...raw.slice(5), raw[0], raw[1], raw[2], ...sparse];
}

/** The same by the JavaScript loop (Tally.addMasses, width by width); null on NaN. */
function byLoop({ scan, templates, dims, W }: Case, h: number): Tally[] | null {
  const [B, H, T] = dims;
  const out = Array.from({ length: W }, () => new Tally());
  for (let b = 0; b < B; b++) {
    const { chance, log, runs, nanRows } = templates[b].windows;
    const at = (b * H + h) * T * W;
    for (let w = 0; w < W; w++) {
      if (!out[w].addMasses(scan.windows, at + w, W, chance, log, w, W, runs[w], nanRows[w])) return null;
    }
  }
  const shared = sharedSums(templates, T, W);
  out.forEach((t, w) => t.addShared(shared.windows[w]));
  return out;
}

/** Every field of every block (a resample drawing that block once). */
function blocks(tallies: Tally[]): number[][] {
  return tallies.flatMap((t) =>
    Array.from({ length: TALLY_BLOCKS }, (_, b) => {
      const times = new Float64Array(TALLY_BLOCKS);
      times[b] = 1;
      const s = new TallySummary();
      t.resampleInto(s, times);
      return [s.gain, s.room, s.chanceSum, s.rows, s.llr, s.massSum];
    }),
  );
}

describe("window tallies in WebAssembly and in four-width loops", () => {
  it("runs where the metric pass runs its WebAssembly kernel", () => {
    expect(wasmRowKernel()).not.toBeNull();
  });

  it("equal Tally.add row by row, to the bit, block by block", () => {
    let rows = 0;
    for (const [name, site] of sites()) {
      const c = prepare(site);
      for (let h = 0; h < c.dims[1]; h++) {
        const reference = rowByRow(c, h);
        const want = blocks(reference);
        const wasm = byModule(c, h);
        const loop = byLoop(c, h);
        expect(wasm, name).not.toBeNull();
        expect(loop, name).not.toBeNull();
        expect(blocks(wasm as Tally[]), `${name} head ${h} (module)`).toEqual(want);
        expect(blocks(loop as Tally[]), `${name} head ${h} (loop)`).toEqual(blocks(reference.slice(0, c.W)));
        rows += want.reduce((s, f) => s + f[3], 0);
      }
    }
    expect(rows).toBeGreaterThan(5000);
  });

  it("report a NaN mass on a row a window takes", () => {
    const c = prepare(dirichletSite(1, { heads: 2, length: 24, causal: false, seed: 3 }));
    const W = c.W;
    c.scan.windows[(1 * 24 + 10) * W + 2] = Number.NaN; // head 1, row 10, width 3
    expect(byModule(c, 1)).toBeNull();
    expect(byLoop(c, 1)).toBeNull();
    expect(byModule(c, 0)).not.toBeNull();
    c.scan.rows.previous[5] = Number.NaN; // head 0, row 5: a previous source it sees
    expect(byModule(c, 0)).toBeNull();
    c.scan.rows.previous[5] = 0.25;
    c.scan.rows.previous[0] = 0.25; // head 0, row 0 has no previous source: its mass must be NaN
    expect(byModule(c, 0)).toBeNull();
  });
});
