import { describe, expect, it } from "vitest";
import { randomCase } from "../../../test/randomSites";
import { siteGeometry } from "./geometry";
import { ACC_SIZE } from "./runKernel";
import { type SiteScan, scanSite } from "./scan";
import { SCRATCH_KEEP_BYTES, scratchFloat32, scratchFloat64 } from "./scratchArrays";
import { DEFAULT_TOLERANCE } from "./validate";

/** Every array a scan hands back, copied (so a later call that wrote into them would show). */
function copyOf(scan: SiteScan): unknown {
  return {
    rows: Object.fromEntries(Object.entries(scan.rows).map(([k, v]) => [k, v.slice()])),
    argmax: scan.argmax.slice(),
    windows: scan.windows.slice(),
    columnMass: scan.columnMass.map((c) => ({ columns: c.columns.slice(), mass: c.mass.slice() })),
  };
}

describe("scratch arrays", () => {
  it("hands out the same memory again under one name, grown when a call needs more", () => {
    const a = scratchFloat64("test.a", 100);
    a.fill(3);
    const b = scratchFloat64("test.a", 50);
    expect(b.length).toBe(50);
    expect(b.buffer).toBe(a.buffer);
    expect(b[49]).toBe(3); // contents are left as they were: the caller sets what it reads
    const c = scratchFloat64("test.a", 200);
    expect(c.length).toBe(200);
    expect(c.buffer).not.toBe(a.buffer);
    expect(scratchFloat64("test.a", 10).buffer).toBe(c.buffer);
    expect(scratchFloat32("test.b", 10).buffer).not.toBe(c.buffer);
  });

  it("does not keep an array over SCRATCH_KEEP_BYTES", () => {
    const n = SCRATCH_KEEP_BYTES / 4 + 1;
    const big = scratchFloat32("test.big", n);
    expect(big.length).toBe(n);
    expect(scratchFloat32("test.big", n).buffer).not.toBe(big.buffer);
  });

  it("leaves the metric pass's answer the same whatever the scratch holds, and its results its own", () => {
    for (let seed = 1; seed <= 80; seed++) {
      const c = randomCase(seed);
      const geo = siteGeometry(c.result, c.site, c.options);
      const n = c.site.dims[0] * c.site.dims[1] * c.site.dims[2];
      for (const kernel of ["wasm", "js"] as const) {
        // poison what the pass keeps between calls: padding rows are never written by the kernels
        scratchFloat64("rowSums", n * ACC_SIZE).fill(0.25);
        scratchFloat32("rowPoints", n * 4).fill(0.5);
        scratchFloat32("rowMasses", n * 4).fill(0.5);
        const poisoned = scanSite(c.site, geo, DEFAULT_TOLERANCE, 16, kernel, 1);
        const kept = copyOf(poisoned);
        const other = randomCase(seed + 10_000);
        scanSite(other.site, siteGeometry(other.result, other.site, other.options), DEFAULT_TOLERANCE, 16, kernel, 1);
        expect(copyOf(poisoned), `${c.label} ${kernel}: a later pass wrote into this one's results`).toEqual(kept);
        const again = scanSite(c.site, geo, DEFAULT_TOLERANCE, 16, kernel, 1);
        expect(copyOf(again), `${c.label} ${kernel}`).toEqual(kept);
      }
    }
  });
});
