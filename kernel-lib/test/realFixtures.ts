/** The "real model" fixtures (fixtures/make_real_fixtures.py): paths, references, comparisons. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "vitest";
import { decodeNpy } from "../src/output/files/npy";
import type { AttentionResult, SiteAttention } from "../src/result/types";

export const REAL = path.join(__dirname, "fixtures", "real");
export const real = (name: string) => path.join(REAL, name);

export interface RefSite {
  id: string;
  file: string;
  shape: number[];
}

export function reference(name: string) {
  return JSON.parse(readFileSync(path.join(REAL, name, "reference.json"), "utf8"));
}

export function refMap(fixture: string, site: RefSite): Float32Array {
  return decodeNpy(readFileSync(path.join(REAL, fixture, site.file))).data;
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Every reference site is in the result, same id order, shape and probabilities (≤ 1e-5). */
export function expectSitesMatch(result: AttentionResult, fixture: string, sites: RefSite[], tolerance = 1e-5): void {
  expect(result.sites.map((s) => s.id)).toEqual(sites.map((s) => s.id));
  for (const [i, want] of sites.entries()) {
    const got = result.sites[i];
    expect(got.dims, got.id).toEqual(want.shape);
    expect(maxDiff(got.data, refMap(fixture, want)), `${got.id} max |Δ|`).toBeLessThanOrEqual(tolerance);
  }
}

/** Rows of every map sum to 1 (where the query is a real token). */
export function expectRowsSumToOne(
  site: SiteAttention,
  validQuery: (b: number, i: number) => boolean = () => true,
): void {
  const [b, h, t, s] = site.dims;
  for (let m = 0; m < b * h; m++) {
    for (let i = 0; i < t; i++) {
      if (!validQuery(Math.floor(m / h), i)) continue;
      const row = site.data.subarray((m * t + i) * s, (m * t + i + 1) * s);
      expect(Math.abs(row.reduce((x, y) => x + y, 0) - 1), `${site.id} row ${i}`).toBeLessThan(1e-4);
    }
  }
}

/** Token texts per sample, with the padding tokens dropped. */
export const texts = (rows: { text: string }[][] | undefined, width?: number) =>
  (rows ?? []).map((r) => r.slice(0, width ?? r.length).map((t) => t.text));
