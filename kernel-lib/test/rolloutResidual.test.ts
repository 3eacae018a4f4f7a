/**
 * Rollout's residual weight r against a numpy reference (Abnar & Zuidema's formula written
 * independently in Python): Â = normalize((1 − r)·mean_h A + r·I), R = Â_top ⋯ Â_first, for
 * r ∈ {0, 0.3, 0.5, 1}, on random encoder layers with a padded sample; and the decoder's cross
 * step R_dd ← r·R_dd, R_de ← r·R_de + (1 − r)·Ā·R_enc. Bad r is one BAD_INPUT line.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runPython } from "../../test/pythonEnv";
import { rollout } from "../src/analysis/metrics/rollout";
import { AttnlensError } from "../src/errors";
import type { AttentionResult, SiteAttention } from "../src/result/types";
import { randomSite } from "../src/testing/syntheticMaps";

type Dims = [number, number, number, number];

const NUMPY_ROLLOUT = `
import json, sys
import numpy as np
spec = json.load(open(sys.argv[1]))
def adjusted(a, r):
    a = (1 - r) * a.mean(axis=0) + r * np.eye(a.shape[-1])
    s = a.sum(axis=-1, keepdims=True)
    z = s[:, 0] == 0
    a[z, z] = 1.0; s[z] = 1.0
    return a / s
def roll(maps, r):
    out = None
    for a in maps:
        a = adjusted(a, r)
        out = a if out is None else a @ out
    return out
res = {}
for r in spec["residuals"]:
    enc = [np.array(m["data"], dtype=np.float64).reshape(m["dims"]) for m in spec["encoder"]]
    lengths = spec.get("lengths") or [enc[0].shape[-1]] * enc[0].shape[0]
    def masked(a, n):  # padding target rows are left out of the fused map (all 0)
        a = a.copy(); a[:, n:, :] = 0; return a
    res[str(r)] = [roll([masked(m[b], lengths[b]) for m in enc], r).ravel().tolist() for b in range(enc[0].shape[0])]
    if spec.get("decoder"):
        dec = [np.array(m["data"], dtype=np.float64).reshape(m["dims"]) for m in spec["decoder"]]
        cross = np.array(spec["cross"]["data"], dtype=np.float64).reshape(spec["cross"]["dims"])
        renc = roll([m[0] for m in enc], r)
        T = dec[0].shape[-1]
        dd, de = np.eye(T), np.zeros((T, renc.shape[0]))
        a = adjusted(dec[0][0], r); dd, de = a @ dd, a @ de
        dd, de = r * dd, r * de + (1 - r) * cross[0].mean(axis=0) @ renc
        res["dec" + str(r)] = [dd.ravel().tolist(), de.ravel().tolist()]
print(json.dumps(res))
`;

const RESIDUALS = [0, 0.3, 0.5, 1];
const tmp = mkdtempSync(path.join(os.tmpdir(), "attnlens-rollout-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The numpy rollouts of a spec (maps as plain arrays), keyed by residual weight. */
function numpyRollout(spec: object): Record<string, number[][]> {
  const file = path.join(tmp, "spec.json");
  writeFileSync(file, JSON.stringify(spec));
  return JSON.parse(runPython(NUMPY_ROLLOUT, [file]));
}
const plain = (s: SiteAttention) => ({ dims: s.dims, data: Array.from(s.data) });

describe("rollout residual weight", () => {
  it("matches numpy for r ∈ {0, 0.3, 0.5, 1} on encoder layers (one sample padded)", () => {
    const dims: Dims = [2, 3, 6, 6];
    const sites = [0, 1, 2].map((l) => randomSite("encoder", "self", l, { dims, seed: 70 + l, lengths: [6, 4] }));
    const mask = { data: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]), dims: [2, 6] as [number, number] };
    const result: AttentionResult = { sites, provider: "cpu", fallbacks: [], masks: { encoder: mask } };
    const ref = numpyRollout({ residuals: RESIDUALS, lengths: [6, 4], encoder: sites.map(plain) });
    for (const r of RESIDUALS) {
      const out = rollout(result, { residual: r });
      for (let b = 0; b < 2; b++) {
        const want: number[] = ref[String(r)][b];
        for (let k = 0; k < 36; k++) expect(Math.abs(out.data[b * 36 + k] - want[k])).toBeLessThan(1e-6);
      }
    }
    // r = 1 is the identity; the default is r = 0.5.
    const id = rollout(result, { residual: 1 }).data;
    for (let k = 0; k < 36; k++) expect(id[k]).toBe(k % 7 === 0 ? 1 : 0);
    expect(rollout(result).data).toEqual(rollout(result, { residual: 0.5 }).data);
  });

  it("matches numpy on a decoder with a cross layer", () => {
    const enc = [0, 1].map((l) => randomSite("encoder", "self", l, { dims: [1, 2, 5, 5], seed: 90 + l }));
    const dec = randomSite("decoder", "self", 0, { dims: [1, 2, 4, 4], seed: 95 });
    const cross = randomSite("decoder", "cross", 0, { dims: [1, 2, 4, 5], seed: 96 });
    const result: AttentionResult = { sites: [...enc, dec, cross], provider: "cpu", fallbacks: [], masks: {} };
    const spec = { residuals: RESIDUALS, encoder: enc.map(plain), decoder: [plain(dec)], cross: plain(cross) };
    const ref = numpyRollout(spec);
    for (const r of RESIDUALS) {
      const out = rollout(result, { stack: "decoder", residual: r });
      const [dd, de]: number[][] = ref[`dec${r}`];
      dd.forEach((v, k) => expect(Math.abs(out.data[k] - v)).toBeLessThan(1e-6));
      de.forEach((v, k) => expect(Math.abs((out.cross?.data[k] ?? Number.NaN) - v)).toBeLessThan(1e-6));
    }
  });

  it("refuses a residual weight outside [0, 1]", () => {
    const result: AttentionResult = {
      sites: [randomSite("encoder", "self", 0, { dims: [1, 1, 3, 3], seed: 1 })],
      provider: "cpu",
      fallbacks: [],
      masks: {},
    };
    for (const r of [-0.1, 1.5, Number.NaN]) {
      const e = (() => {
        try {
          rollout(result, { residual: r });
        } catch (err) {
          return err;
        }
      })();
      expect(e).toBeInstanceOf(AttnlensError);
      expect((e as AttnlensError).code).toBe("BAD_INPUT");
      expect((e as Error).message).toMatch(/^rollout: residual must be a number in \[0, 1\], got /);
    }
  });
});
