import { describe, expect, it } from "vitest";
import { compareAccumulators } from "../../../test/compareAccumulators";
import { randomCase } from "../../../test/randomSites";
import { ROW_CORRUPTIONS } from "../../../test/rowCorruptions";
import { siteGeometry } from "./geometry";
import { siteAccumulators } from "./rowAccumulators";
import { scanSite } from "./scan";
import { DEFAULT_TOLERANCE } from "./validate";
import { wasmRowKernel } from "./wasm/kernel";

/**
 * The WebAssembly kernel against the JavaScript one (the reference) on random maps: every
 * accumulator within 1e-6 relative, max, argmax, sign flags and the single weights identical, and
 * the same rows accepted and rejected with the same messages.
 */

describe("WebAssembly row kernel against the JavaScript kernel", () => {
  it("is available: Node ≥ 20 (the project's engines) validates the SIMD module", () => {
    expect(wasmRowKernel()).not.toBeNull();
  });

  it("agrees on 300 random sites (shapes 1…129, padding, holes, causal, KV cache, cross, segments, ties, zeros, denormals)", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const c = randomCase(seed);
      const geo = siteGeometry(c.result, c.site, c.options);
      const wasm = siteAccumulators(c.site, geo, DEFAULT_TOLERANCE, 16, "wasm", 1);
      const js = siteAccumulators(c.site, geo, DEFAULT_TOLERANCE, 16, "js");
      compareAccumulators(c, wasm.sums, js.sums);
      expect(wasm.points, c.label).toEqual(js.points);
      expect(wasm.masses, c.label).toEqual(js.masses);
      expect(wasm.columnMass, c.label).toEqual(js.columnMass);
      expect(wasm.windows, c.label).toEqual(js.windows);
    }
  });

  it("sums each head's weights on the strip candidates known before the pass, as a naive loop does", () => {
    let checked = 0;
    for (let seed = 3000; seed < 3080; seed++) {
      const c = randomCase(seed);
      const [B, H, T, S] = c.site.dims;
      const geo = siteGeometry(c.result, c.site, c.options);
      for (const kernel of ["wasm", "js"] as const) {
        const { columnMass } = siteAccumulators(c.site, geo, DEFAULT_TOLERANCE, 0, kernel);
        for (let b = 0; b < B; b++) {
          const g = geo.samples[b];
          // the first valid source, [CLS], [SEP] and sink positions, each once, ascending
          const want = [
            ...new Set([
              ...(g.firstSource >= 0 ? [g.firstSource] : []),
              ...(g.special?.cls ?? []),
              ...(g.special?.sep ?? []),
              ...(g.special?.sink ?? []),
            ]),
          ].sort((x, y) => x - y);
          expect([...columnMass[b].columns], c.label).toEqual(want);
          for (let h = 0; h < H; h++) {
            want.forEach((col, k) => {
              let m = 0;
              for (let i = 0; i < T; i++) {
                const limit = c.site.causal ? Math.min(S, i + S - T + 1) : S;
                if (geo.samples[b].targetValid[i] && col < limit) m += c.site.data[((b * H + h) * T + i) * S + col];
              }
              expect(columnMass[b].mass[h * want.length + k], `${c.label} ${kernel} b${b} h${h} column ${col}`).toBe(m);
              checked++;
            });
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it("gives the same row metrics", () => {
    for (let seed = 1000; seed < 1060; seed++) {
      const c = randomCase(seed);
      const geo = siteGeometry(c.result, c.site, c.options);
      const a = scanSite(c.site, geo, DEFAULT_TOLERANCE, 16, "wasm");
      const r = scanSite(c.site, geo, DEFAULT_TOLERANCE, 16, "js");
      expect(a.argmax).toEqual(r.argmax);
      expect(a.windows).toEqual(r.windows);
      for (const key of [
        "confidence",
        "self",
        "previous",
        "next",
        "first",
        "cls",
        "sep",
        "punctuation",
        "sink",
        "sources",
      ] as const)
        expect(a.rows[key]).toEqual(r.rows[key]);
      for (let k = 0; k < r.rows.entropy.length; k++) {
        const close = (x: number, y: number, scale: number, extra = 0) =>
          Number.isNaN(y) ? Number.isNaN(x) : Math.abs(x - y) <= 1e-6 * scale + extra;
        const d = r.rows.distance[k];
        const ok =
          close(a.rows.entropy[k], r.rows.entropy[k], r.rows.entropy[k], 1e-8) &&
          close(a.rows.normalizedEntropy[k], r.rows.normalizedEntropy[k], r.rows.normalizedEntropy[k], 1e-8) &&
          close(a.rows.distance[k], d, d, 1e-6) &&
          close(a.rows.signedDistance[k], r.rows.signedDistance[k], d, 1e-6) &&
          close(a.rows.segment[k], r.rows.segment[k], r.rows.segment[k], 1e-7);
        if (!ok) expect.fail(`${c.label}, row ${k}: the kernels' metrics differ`);
      }
    }
  });

  it("accepts and rejects the same rows with the same messages", () => {
    for (let seed = 2000; seed < 2040; seed++) {
      for (const [what, corrupt] of ROW_CORRUPTIONS) {
        const c = randomCase(seed);
        const [B, H, T, S] = c.site.dims;
        const geo = siteGeometry(c.result, c.site, c.options);
        const b = B - 1;
        const i = geo.samples[b].targetValid.lastIndexOf(1);
        if (i < 0 || S < 2) continue;
        corrupt(c.site.data, ((b * H + H - 1) * T + i) * S, S);
        const outcome = (kernel: "wasm" | "js") => {
          try {
            scanSite(c.site, geo, DEFAULT_TOLERANCE, 0, kernel);
            return "accepted";
          } catch (e) {
            return (e as Error).message;
          }
        };
        expect(outcome("wasm"), `${c.label}, ${what}`).toBe(outcome("js"));
      }
    }
  });
});
