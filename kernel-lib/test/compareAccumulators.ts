import { expect } from "vitest";
import { siteGeometry } from "../src/analysis/metrics/geometry";
import {
  ACC_SIZE,
  ARGMAX,
  LEFT_OFFSET,
  LEFT_SUM,
  LEFT_SUM_J,
  MASKED,
  MAX,
  OFFSET,
  PLOGP,
  SEGMENT,
  SIGNS,
  SUM,
  SUM_J,
} from "../src/analysis/metrics/runKernel";
import type { Case } from "./randomSites";

/**
 * A float32 kernel's row sums (the WebAssembly one, the native one) against the JavaScript
 * kernel's float64 ones: every accumulator within 1e-6 relative (with the reference's own
 * rounding where it has some), max, argmax and sign flags identical.
 */
export function compareAccumulators(c: Case, got: Float64Array, ref: Float64Array): void {
  const [B, , T] = c.site.dims;
  const geo = siteGeometry(c.result, c.site, c.options);
  const H = c.site.dims[1];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        if (!geo.samples[b].targetValid[i]) continue;
        const at = ((b * H + h) * T + i) * ACC_SIZE;
        const where = `${c.label}, row b${b} h${h} i${i}`;
        const close = (k: number, scale: number, extra = 0) => {
          const diff = Math.abs(got[at + k] - ref[at + k]);
          if (!(diff <= 1e-6 * scale + extra))
            expect.fail(`${where}: accumulator ${k} is ${got[at + k]}, the reference ${ref[at + k]}`);
        };
        for (const k of [SUM, LEFT_SUM, MASKED]) close(k, Math.abs(ref[at + k]));
        // Σa·j and its left part are the JavaScript kernel's intermediates: the float32 kernels skip them
        for (const k of [SUM_J, LEFT_SUM_J]) if (!Number.isNaN(got[at + k])) expect.fail(`${where}: ${k} summed`);
        // the reference's segment mass is a difference of running sums: good to ~1e-16·Σa
        close(SEGMENT, ref[at + SEGMENT], 1e-15 * ref[at + SUM]);
        // the reference's offsets are Σa·j − split·Σa in float64: good to ~1e-16·split·Σa
        const split = Math.ceil(geo.samples[b].position[i]);
        const rounding = 1e-15 * (split * ref[at + SUM] + ref[at + SUM_J]);
        close(LEFT_OFFSET, Math.abs(ref[at + LEFT_OFFSET]), rounding);
        // Σa·(j − split) has terms of both signs: relative to Σa·|j − split|
        close(OFFSET, ref[at + OFFSET] - 2 * ref[at + LEFT_OFFSET], rounding);
        // the reference's log table interpolates with |error| ≤ 1.1e-8 per unit of mass
        close(PLOGP, Math.abs(ref[at + PLOGP]), 1.1e-8 * ref[at + SUM]);
        for (const k of [MAX, ARGMAX, SIGNS])
          if (got[at + k] !== ref[at + k]) expect.fail(`${where}: accumulator ${k} differs`);
      }
    }
  }
}
