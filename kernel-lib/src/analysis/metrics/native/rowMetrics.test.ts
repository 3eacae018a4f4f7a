import { describe, expect, it } from "vitest";
import { useNativeKernel } from "../../../../test/nativeKernelSetup";
import { type Case, randomCase } from "../../../../test/randomSites";
import { ROW_CORRUPTIONS } from "../../../../test/rowCorruptions";
import { siteGeometry } from "../geometry";
import { sampleHeadSums } from "../headMetrics";
import { siteAccumulators, startAccumulators } from "../rowAccumulators";
import { deriveRows, rowOutputs } from "../rowOutputs";
import { type SiteScan, scanSite } from "../scan";
import { HEAD_SUMS, ROW_METRIC_KEYS } from "../types";
import { DEFAULT_TOLERANCE } from "../validate";
import { nativeAddon } from "./nativeKernel";

/**
 * The row metrics the native kernel derives on its threads (native/row_metrics.h) against
 * rowOutputs.ts's JavaScript derivation from the very same sums: equal to the bit, on every row
 * (padding, causal, cross-attention rows with fractional positions, segments, special tokens),
 * at every thread count, and with rows the kernel leaves to JavaScript among them; and the head
 * sums it writes equal to headMetrics.ts's sums of those rows.
 */

const native = useNativeKernel();

/** The case's rows derived in JavaScript from the native kernel's sums (the kernel asked for no row metrics). */
function derivedInJavaScript(c: Case, threads: number) {
  const geo = siteGeometry(c.result, c.site, c.options);
  const acc = siteAccumulators(c.site, geo, DEFAULT_TOLERANCE, 16, "native", threads);
  expect(acc.derived).toBeUndefined();
  const out = rowOutputs(geo);
  for (let b = 0; b < geo.dims[0]; b++) deriveRows(c.site, geo, DEFAULT_TOLERANCE, acc, out, b);
  return out;
}

function expectBitEqual(
  label: string,
  scan: Pick<SiteScan, "rows" | "argmax">,
  reference: ReturnType<typeof derivedInJavaScript>,
): void {
  const same = (x: ArrayLike<number>, y: ArrayLike<number>, what: string) => {
    expect(x.length, `${label}: ${what} length`).toBe(y.length);
    for (let k = 0; k < x.length; k++) {
      if (!Object.is(x[k], y[k])) expect.fail(`${label}: ${what}[${k}] is ${x[k]}, JavaScript derives ${y[k]}`);
    }
  };
  for (const key of ROW_METRIC_KEYS) same(scan.rows[key], reference.rows[key], key);
  same(scan.rows.sources, reference.rows.sources, "sources");
  same(scan.argmax, reference.argmax, "argmax");
}

/**
 * The head sums the kernel wrote are JavaScript's sums of the rows (sampleHeadSums) to the bit;
 * returns how many (sample, head)s it wrote (the others are marked for JavaScript).
 */
function expectHeadSums(label: string, scan: SiteScan, dims: [number, number, number, number]): number {
  const [B, H] = dims;
  const reference = new Float64Array(scan.headSums.length);
  let written = 0;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const at = (b * H + h) * HEAD_SUMS;
      if (scan.headSums[at + 1] < 0) continue;
      written++;
      sampleHeadSums(scan.rows, dims, b, h, reference);
      for (let k = at; k < at + HEAD_SUMS; k++) {
        if (!Object.is(scan.headSums[k], reference[k]))
          expect.fail(
            `${label}: sample ${b}, head ${h}, head sum ${k - at} is ${scan.headSums[k]}, not ${reference[k]}`,
          );
      }
    }
  }
  return written;
}

function cases(count: number, seed0: number): Case[] {
  const long = { lengths: [65, 129, 257, 513], maxBatch: 3, maxHeads: 3 };
  return Array.from({ length: count }, (_, k) => (k % 4 === 3 ? randomCase(seed0 + k, long) : randomCase(seed0 + k)));
}

describe("native row metrics", () => {
  it("are JavaScript's to the bit, at every width and thread count (200 random sites)", () => {
    let derived = 0;
    let summed = 0;
    for (const lanes of [4, native.widest]) {
      nativeAddon()?.lanes(lanes);
      for (const c of cases(100, 7000 + lanes)) {
        const geo = siteGeometry(c.result, c.site, c.options);
        for (const threads of [1, 2, 5]) {
          const scan = scanSite(c.site, geo, DEFAULT_TOLERANCE, 16, "native", threads);
          const label = `${c.label}, ${lanes} lanes, ${threads} threads`;
          expectBitEqual(label, scan, derivedInJavaScript(c, threads));
          derived += scan.rows.entropy.length;
          summed += expectHeadSums(label, scan, geo.dims);
        }
      }
    }
    expect(derived).toBeGreaterThan(10_000);
    expect(summed).toBeGreaterThan(500);
  });

  it("leave the rows JavaScript redoes to JavaScript, which checks and derives them", () => {
    // rows whose checks are near the tolerance or fail it, or with a sign bit: the kernel lists them
    let redone = 0;
    let rejected = 0;
    for (const [what, corrupt] of ROW_CORRUPTIONS) {
      for (const c of cases(16, 9000)) {
        const [, H, T, S] = c.site.dims;
        const geo = siteGeometry(c.result, c.site, c.options);
        const i = geo.samples[0].targetValid.indexOf(1);
        if (i < 0 || S < 2) continue;
        const data = c.site.data.slice();
        corrupt(data, ((H - 1) * T + i) * S, S);
        const corrupted = { ...c, site: { ...c.site, data } };
        const outputs = rowOutputs(geo);
        const mode = { rows: outputs };
        const acc = startAccumulators(corrupted.site, geo, DEFAULT_TOLERANCE, 16, "native", 2, mode).finish();
        redone += acc.derived?.reduce((n, rows) => n + (rows?.length ?? 0), 0) ?? 0;
        const outcome = attempt(() => {
          for (let b = 0; b < geo.dims[0]; b++)
            deriveRows(corrupted.site, geo, DEFAULT_TOLERANCE, acc, outputs, b, acc.derived?.[b]);
          return outputs;
        });
        const reference = attempt(() => derivedInJavaScript(corrupted, 1));
        if (reference instanceof Error) {
          rejected++;
          expect(outcome, `${c.label}, ${what}`).toBeInstanceOf(Error);
          expect((outcome as Error).message).toBe(reference.message);
        } else {
          expect(outcome, `${c.label}, ${what}`).not.toBeInstanceOf(Error);
          const { rows, argmax } = outcome as typeof reference;
          expectBitEqual(`${c.label}, ${what}`, { rows, argmax }, reference);
        }
      }
    }
    expect(rejected).toBeGreaterThan(5);
    expect(redone).toBeGreaterThan(5);
  });
});

function attempt<T>(f: () => T): T | Error {
  try {
    return f();
  } catch (e) {
    return e as Error;
  }
}
