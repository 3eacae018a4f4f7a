/**
 * The WebAssembly kernel alone on corrupted rows: NaN, ±Infinity, negative weights (−0 too), rows
 * not summing to 1, mass on masked or future sources. Called directly (no siteAccumulators), so no
 * row is redone by the JavaScript kernel before we look: what the kernel itself writes must show
 * every fault to the checks (a NaN or wrong total, or the sign flag), and clean rows beside them
 * must be untouched. Expected values are summed here from the rows, in float64.
 */
import { describe, expect, it } from "vitest";
import type { AttentionResult, PositionMask, SiteAttention } from "../../../result/types";
import { seededRandom } from "../../../util/random";
import { siteGeometry } from "../geometry";
import { ACC_SIZE, MASKED, MAX, SIGNS, SUM } from "../runKernel";
import { wasmRowKernel } from "./kernel";
import { sampleTables } from "./pieces";

const B = 2;
const H = 2;
const S = 37;
const T = S;

type Fault = "nan" | "nanMasked" | "infinity" | "negative" | "negativeZero" | "sumTooHigh" | "sumTooLow" | "maskedMass";
const FAULTS: Fault[] = [
  "nan",
  "nanMasked",
  "infinity",
  "negative",
  "negativeZero",
  "sumTooHigh",
  "sumTooLow",
  "maskedMass",
];

/** A causal site with right padding on sample 1: clean rows, then one fault per listed row. */
function corruptedSite(faults: Map<number, Fault>) {
  const rand = seededRandom(99);
  const valid = [new Uint8Array(S).fill(1), new Uint8Array(S).fill(1).fill(0, 30)];
  const data = new Float32Array(B * H * T * S);
  const visible = (b: number, i: number, j: number) => valid[b][j] === 1 && j <= i;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        if (!valid[b][i]) continue;
        const base = ((b * H + h) * T + i) * S;
        let sum = 0;
        for (let j = 0; j < S; j++) if (visible(b, i, j)) sum += data[base + j] = 0.05 + rand();
        for (let j = 0; j < S; j++) data[base + j] /= sum;
        const r = (b * H + h) * T + i;
        const fault = faults.get(r);
        const inside = base + Math.floor(i / 2); // a visible source
        const outside = base + Math.min(S - 1, i + 1); // a future (or masked) source; i < S − 1 below
        if (fault === "nan") data[inside] = Number.NaN;
        if (fault === "nanMasked") data[outside] = Number.NaN;
        if (fault === "infinity") data[inside] = Number.POSITIVE_INFINITY;
        if (fault === "negative") data[inside] = -0.25;
        if (fault === "negativeZero") data[inside] = -0;
        if (fault === "sumTooHigh") for (let j = base; j <= base + i; j++) data[j] *= 1.3;
        if (fault === "sumTooLow") for (let j = base; j <= base + i; j++) data[j] *= 0.5;
        if (fault === "maskedMass") data[outside] = 0.2;
      }
    }
  }
  const site: SiteAttention = {
    id: "decoder.self.0",
    stack: "decoder",
    kind: "self",
    layer: 0,
    heads: H,
    causal: true,
    node: "n",
    data,
    dims: [B, H, T, S],
  };
  const mask: PositionMask = { data: Uint8Array.from([...valid[0], ...valid[1]]), dims: [B, S] };
  const result = {
    sites: [site],
    provider: "cpu",
    fallbacks: [],
    masks: { decoder: mask },
    outputs: {},
  } as AttentionResult;
  return { site, result, visible };
}

/** The kernel's accumulators for every row, straight from WebAssembly. */
function kernelSums(site: SiteAttention, result: AttentionResult): Float64Array {
  const wasm = wasmRowKernel();
  if (!wasm) throw new Error("this Node has no WebAssembly SIMD: the kernel under test is missing");
  const geo = siteGeometry(result, site);
  const out = {
    sums: new Float64Array(B * H * T * ACC_SIZE),
    points: new Float32Array(B * H * T * 4),
    masses: new Float32Array(B * H * T * 4),
    windows: new Float32Array(0),
  };
  for (let b = 0; b < B; b++) {
    wasm.memory.setSample(sampleTables(geo, geo.samples[b]), { T, S, W: 0, H, rows: H * T });
    wasm.run(site.data, b * H * T, H * T, 0, out);
  }
  return out.sums;
}

describe("the WebAssembly kernel on corrupted rows, without the JavaScript redo", () => {
  // rows (b·H + h)·T + i: faults in both samples and heads, near the start, middle and end
  const faults = new Map<number, Fault>();
  FAULTS.forEach((f, k) => {
    faults.set(((k % B) * H + ((k >> 1) % H)) * T + 3 + 3 * k, f);
  });
  const { site, result, visible } = corruptedSite(faults);
  const sums = kernelSums(site, result);

  /** Σ over visible and over masked/future sources, max over visible, whether a visible weight has its sign bit set. */
  function direct(r: number) {
    const b = Math.floor(r / (H * T));
    const i = r % T;
    let sum = 0;
    let masked = 0;
    let max = Number.NEGATIVE_INFINITY;
    let signed = false;
    for (let j = 0; j < S; j++) {
      const a = site.data[r * S + j];
      if (visible(b, i, j)) {
        sum += a;
        max = Number.isNaN(a) || Number.isNaN(max) ? Number.NaN : Math.max(max, a);
        if (a < 0 || Object.is(a, -0)) signed = true;
      } else masked += a;
    }
    return { sum, masked, max, signed };
  }

  const sameOrNaN = (got: number, want: number, what: string) => {
    if (Number.isNaN(want)) expect(got, what).toBeNaN();
    else if (!Number.isFinite(want)) expect(got, what).toBe(want);
    else
      expect(Math.abs(got - want), `${what}: ${got} vs ${want}`).toBeLessThanOrEqual(
        1e-6 * Math.max(1, Math.abs(want)),
      );
  };

  for (const [r, fault] of faults) {
    it(`shows ${fault} (row ${r}) in what it writes`, () => {
      const want = direct(r);
      const at = r * ACC_SIZE;
      sameOrNaN(sums[at + SUM], want.sum, "visible mass");
      sameOrNaN(sums[at + MASKED], want.masked, "masked mass");
      if (want.signed) expect(sums[at + SIGNS], "sign flag").toBe(-1);
      else sameOrNaN(sums[at + MAX], want.max, "max");
      // what the checks then see: a total 1 ± 1e-3 with no masked mass, no sign bit, would pass
      const total = sums[at + SUM] + sums[at + MASKED];
      const passes = Math.abs(total - 1) < 1e-3 && sums[at + MASKED] < 1e-3 && sums[at + SIGNS] === 0;
      expect(passes, `${fault} would pass the row checks`).toBe(false);
    });
  }

  it("leaves the clean rows around them right", () => {
    let clean = 0;
    const geo = siteGeometry(result, site);
    for (let r = 0; r < B * H * T; r++) {
      const b = Math.floor(r / (H * T));
      if (faults.has(r) || !geo.samples[b].targetValid[r % T]) continue;
      const want = direct(r);
      const at = r * ACC_SIZE;
      sameOrNaN(sums[at + SUM], want.sum, `row ${r} visible mass`);
      sameOrNaN(sums[at + MASKED], want.masked, `row ${r} masked mass`);
      sameOrNaN(sums[at + MAX], want.max, `row ${r} max`);
      expect(sums[at + SIGNS], `row ${r} sign flag`).toBe(0);
      clean++;
    }
    expect(clean).toBe(B * H * T - faults.size - H * (S - 30));
  });
});
