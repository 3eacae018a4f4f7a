import { describe, expect, it } from "vitest";
// The decoder lives in the widgets package; tests read its source so no build is needed.
import { decodeMaps, decodePayload, mapAt } from "../../../../widgets/src/payload";
import { AttnlensError } from "../../errors";
import { encodePayload, PAYLOAD_MAX_BYTES } from "./index";
import { poolMaps } from "./pool";
import { sampleResult } from "./sample";

function maxAbs(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe("encodePayload round trip", () => {
  const result = sampleResult({ layers: 2, heads: 3, tokens: 10, lengths: [10, 7], decoderTokens: 6 });

  it("uint8: every decoded weight is within max/510 of the original", () => {
    const payload = decodePayload(JSON.stringify(encodePayload(result, { rollout: false })));
    expect(payload.v).toBe(1);
    expect(payload.samples).toBe(2);
    for (const [i, site] of result.sites.entries()) {
      const got = decodeMaps(payload.sites[i].maps!);
      expect(payload.sites[i].dims).toEqual(site.dims);
      const [B, H, T, S] = site.dims;
      for (let m = 0; m < B * H; m++) {
        const want = site.data.subarray(m * T * S, (m + 1) * T * S);
        const max = want.reduce((x, y) => Math.max(x, y), 0);
        expect(maxAbs(got.subarray(m * T * S, (m + 1) * T * S), want)).toBeLessThanOrEqual(max / 510 + 1e-7);
      }
    }
  });

  it("float16: relative error ≤ 2⁻¹¹ on weights ≥ 1e-4", () => {
    const payload = decodePayload(encodePayload(result, { quantization: "float16", metrics: false, rollout: false }));
    const site = result.sites[3];
    const got = decodeMaps(payload.sites[3].maps!);
    for (let k = 0; k < got.length; k++) {
      const w = site.data[k];
      if (w >= 1e-4) expect(Math.abs(got[k] - w) / w).toBeLessThanOrEqual(2 ** -11);
    }
  });

  it("labels sites, axes and token streams (encoder = source, decoder = target)", () => {
    const p = encodePayload(result, { metrics: false, rollout: false });
    const cross = p.sites.find((s) => s.id === "decoder.cross.1")!;
    expect([cross.rows, cross.cols, cross.stack, cross.kind, cross.layer]).toEqual([
      "target",
      "source",
      "decoder",
      "cross",
      1,
    ]);
    expect(p.sites.find((s) => s.id === "decoder.self.0")!.causal).toBe(true);
    expect(p.tokens.source!.text[0][0]).toBe("[CLS]");
    expect(p.tokens.source!.special[1]).toEqual([0, 6, 7, 8, 9]);
    expect(p.tokens.source!.padding).toEqual([[], [7, 8, 9]]);
    expect(p.tokens.target!.text[0][0]).toBe("<s>");
  });

  it("carries per-head metrics, pattern labels and the rollout", () => {
    const p = encodePayload(sampleResult({ layers: 2, heads: 6, tokens: 12 }));
    const site = p.sites[0];
    expect(site.metrics!.entropy).toHaveLength(6);
    expect(site.patterns!.map((x) => x.label)[0]).toBe("previous");
    expect(site.patterns![1].label).toBe("diagonal");
    const r = p.probes!.rollout!;
    expect(r.maps.dims).toEqual([1, 1, 12, 12]);
    const rows = mapAt(r.maps, 0, 0);
    for (let i = 0; i < 12; i++) expect(rows.subarray(i * 12, i * 12 + 12).reduce((a, b) => a + b)).toBeCloseTo(1, 1);
  });
});

describe("long inputs", () => {
  it("adds pooled overviews whose rows still sum to 1, leaving padding rows out", () => {
    const result = sampleResult({ layers: 1, heads: 2, tokens: 100, lengths: [100, 70] });
    const p = encodePayload(result, { metrics: false, rollout: false });
    const ov = p.sites[0].overview!;
    expect(ov.bin).toEqual([4, 4]);
    expect(ov.dims).toEqual([2, 2, 25, 25]);
    const m = mapAt(ov, 1, 0);
    for (let i = 0; i < 25; i++) {
      const sum = m.subarray(i * 25, i * 25 + 25).reduce((a, b) => a + b);
      expect(sum).toBeCloseTo(i < 18 ? 1 : 0, 1);
    }
  });

  it("pools the full maps with maxTokens and cuts a token range", () => {
    const result = sampleResult({ layers: 1, heads: 1, tokens: 64 });
    const pooled = encodePayload(result, { maxTokens: 16, metrics: false, rollout: false });
    expect(pooled.sites[0].maps!.dims).toEqual([1, 1, 16, 16]);
    expect(pooled.sites[0].overview).toBeUndefined();
    expect(pooled.notes!.join(" ")).toMatch(/maxTokens/);
    const cut = encodePayload(result, { tokenRange: [10, 30], metrics: false, rollout: false });
    expect(cut.sites[0].dims).toEqual([1, 1, 20, 20]);
    expect(cut.tokens.source!.start).toBe(10);
    const got = mapAt(cut.sites[0].maps!, 0, 0);
    expect(got[0]).toBeCloseTo(result.sites[0].data[10 * 64 + 10], 2);
    expect(got[21]).toBeCloseTo(result.sites[0].data[11 * 64 + 11], 2);
  });

  it("keeps overviews only for sites not selected", () => {
    const result = sampleResult({ layers: 3, heads: 2, tokens: 40 });
    const p = encodePayload(result, { sites: ["encoder.self.1"], metrics: false, rollout: false });
    expect(p.sites.map((s) => !!s.maps)).toEqual([false, true, false]);
    expect(p.sites.every((s) => s.overview)).toBe(true);
    expect(() => encodePayload(result, { sites: ["encoder.self.9"] })).toThrow(/sites are: encoder.self.0/);
  });

  it("poolMaps averages targets and sums sources", () => {
    const data = Float32Array.from([0.5, 0.5, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0.5, 0.5]);
    const p = poolMaps(data, [1, 1, 4, 4], [2, 2]);
    expect(Array.from(p.data)).toEqual([1, 0, 0.5, 0.5]);
  });
});

describe("size", () => {
  it("BERT-base shape, 12 layers × 12 heads at 128 tokens, fits in 4 MB", () => {
    const result = sampleResult({ layers: 12, heads: 12, tokens: 128 });
    const text = JSON.stringify(encodePayload(result, { metrics: false }));
    expect(text.length).toBeLessThanOrEqual(4_000_000);
  });

  it("refuses above maxBytes with TOO_LARGE, naming the limit and the options", () => {
    const result = sampleResult({ layers: 2, heads: 2, tokens: 64 });
    let err: unknown;
    try {
      encodePayload(result, { maxBytes: 10_000 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AttnlensError);
    expect((err as AttnlensError).code).toBe("TOO_LARGE");
    expect((err as Error).message).toMatch(/limit of 9\.77 KiB \(maxBytes\)/);
    expect((err as Error).message).toMatch(/maxTokens: \d+.*sites: \[.*tokenRange: \[start, end\)/);
    expect(PAYLOAD_MAX_BYTES).toBe(32 * 1024 * 1024);
  });
});
