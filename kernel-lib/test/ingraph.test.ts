/**
 * In-graph metrics against the TypeScript reference: on every torch fixture and on constructed
 * models (causal and not, right- and left-padded batches, opsets 13 and 18), `measure()` equals
 * analyzeResult / rollout computed from the full maps of `run()` on the same session — every row
 * metric within 1e-5 where both are defined, NaN in the same places, per-head means and rollout
 * within 1e-5 — while fetching only small tensors.
 */
import { describe, expect, it } from "vitest";
import {
  type AttentionModel,
  analyzeResult,
  type Feeds,
  type MeasureResult,
  metricsAgreement,
  openModel,
  rollout,
  rolloutAgreement,
  Tensor,
} from "../src";
import { constructedModel, seededRandom } from "../src/testing";
import { DECODER, ENCODER } from "./constructedDesigns";
import { fixtureNames, loadFixture } from "./fixtureFiles";

const TOLERANCE = 1e-5;

/** measure() vs the reference on `run()` of the same model and feeds; rollout of each stack it built. */
async function expectAgreement(model: AttentionModel, feeds: Feeds): Promise<MeasureResult> {
  const result = await model.run(feeds);
  const measured = await model.measure(feeds, { rollout: true });
  const agreement = metricsAgreement(measured, analyzeResult(result));
  expect(agreement.mismatches, "NaN / null in different places").toEqual([]);
  expect(agreement.maxDiff).toBeLessThanOrEqual(TOLERANCE);
  const stacks = new Set(result.sites.map((s) => s.stack));
  for (const stack of stacks) {
    const got = measured.rollout?.[stack];
    expect(got, `${stack} rollout`).toBeDefined();
    if (!got) continue;
    const r = rolloutAgreement(got, rollout(result, { stack }));
    expect(r.mismatches).toEqual([]);
    expect(r.maxDiff, `${stack} rollout max |Δ|`).toBeLessThanOrEqual(TOLERANCE);
  }
  return measured;
}

describe.each(fixtureNames())("fixture %s", (name) => {
  it("in-graph metrics and rollout equal the reference on the full maps", async () => {
    const fx = loadFixture(name);
    const model = await openModel(fx.modelPath, { providers: ["cpu"], inGraphMetrics: true });
    const measured = await expectAgreement(model, fx.feeds);
    expect(measured.provider).toBe("cpu");
    expect(measured.sites.map((s) => s.site.id)).toEqual(model.sites.map((s) => s.id));
    await model.release();
  });
});

/** Batch 2 of `length` tokens, sample 1 padded by 3 on the `pad` side, two segments per sample. */
function constructedFeeds(length: number, vocab: number, pad: "right" | "left", seed = 7): Feeds {
  const rand = seededRandom(seed);
  const ids: number[] = [];
  const mask: number[] = [];
  const segments: number[] = [];
  for (let b = 0; b < 2; b++) {
    const half = Array.from({ length: Math.ceil(length / 2) }, () => 1 + Math.floor(rand() * (vocab - 1)));
    for (let i = 0; i < length; i++) {
      const valid = b === 0 || (pad === "right" ? i < length - 3 : i >= 3);
      ids.push(valid ? half[i % half.length] : 0);
      mask.push(valid ? 1 : 0);
      segments.push(i < length / 2 ? 0 : 1);
    }
  }
  const t = (a: number[]) => new Tensor("int64", BigInt64Array.from(a, BigInt), [2, length]);
  return { input_ids: t(ids), attention_mask: t(mask), token_type_ids: t(segments) };
}

/** The constructed model's bytes with its ai.onnx opset import rewritten (its ops mean the same at 13–18). */
function withOpset(bytes: Uint8Array, opset: number): Uint8Array {
  const tail = bytes.subarray(bytes.length - 4);
  expect(Array.from(tail)).toEqual([0x42, 0x02, 0x10, 17]); // opset_import { version: 17 }, written last
  const out = Uint8Array.from(bytes);
  out[out.length - 1] = opset;
  return out;
}

describe("constructed models", () => {
  const cases = [
    { name: "encoder, right padding", layers: ENCODER, causal: false, pad: "right" as const, opset: 17 },
    { name: "encoder, left padding, opset 13", layers: ENCODER, causal: false, pad: "left" as const, opset: 13 },
    {
      name: "causal decoder, right padding, opset 18",
      layers: DECODER,
      causal: true,
      pad: "right" as const,
      opset: 18,
    },
    { name: "causal decoder, left padding", layers: DECODER, causal: true, pad: "left" as const, opset: 17 },
  ];
  it.each(cases)("$name: in-graph metrics and rollout equal the reference", async (c) => {
    const built = constructedModel({ layers: c.layers, causal: c.causal, vocab: 12 });
    const model = await openModel(withOpset(built.bytes, c.opset), { providers: ["cpu"], inGraphMetrics: true });
    const measured = await expectAgreement(model, constructedFeeds(24, 12, c.pad));
    for (const s of measured.sites) expect(s.site.causal).toBe(c.causal);
    await model.release();
  });
});

describe("measure() transfers", () => {
  it("fetches only the metric outputs, far fewer bytes than the maps", async () => {
    const built = constructedModel({ layers: ENCODER, vocab: 12, maxPositions: 128 });
    const model = await openModel(built.bytes, { providers: ["cpu"], inGraphMetrics: true });
    const feeds = constructedFeeds(128, 12, "right");
    const result = await model.run(feeds);
    const mapBytes = result.sites.reduce((n, s) => n + s.data.byteLength, 0);
    const siteOutputs = new Set(model.sites.map((s) => s.output));
    const full = await model.measure(feeds, { rollout: true });
    const headsOnly = await model.measure(feeds, { rows: false });
    for (const m of [full, headsOnly]) {
      expect(m.transfer.outputs.filter((o) => siteOutputs.has(o))).toEqual([]);
      expect(m.transfer.outputs.every((o) => o.startsWith("attnlens.ingraph/"))).toBe(true);
    }
    // Rows are [10, B, H, T] per site, the maps [B, H, T, S]: ≈ 10/S of the bytes, plus the rollout.
    expect(full.transfer.bytes).toBeLessThan(mapBytes / 5);
    expect(headsOnly.transfer.bytes).toBeLessThan(mapBytes / 500);
    expect(headsOnly.sites[0].rows).toBeUndefined();
    expect(headsOnly.sites.map((s) => s.heads)).toEqual(full.sites.map((s) => s.heads));
    await model.release();
  });

  it("leaves run() as it was: the same maps as a model opened without in-graph metrics", async () => {
    const fx = loadFixture("bart_like");
    const plain = await openModel(fx.modelPath, { providers: ["cpu"] });
    const withMetrics = await openModel(fx.modelPath, { providers: ["cpu"], inGraphMetrics: true });
    const a = await plain.run(fx.feeds);
    const b = await withMetrics.run(fx.feeds);
    expect(Object.keys(b.outputs)).toEqual(Object.keys(a.outputs));
    for (const [k, s] of b.sites.entries()) {
      expect(s.id).toBe(a.sites[k].id);
      expect(Array.from(s.data)).toEqual(Array.from(a.sites[k].data));
    }
    await plain.release();
    await withMetrics.release();
  });

  it("selects sites, and says what is missing", async () => {
    const fx = loadFixture("gpt2_like");
    const model = await openModel(fx.modelPath, { providers: ["cpu"], inGraphMetrics: { rollout: false } });
    const one = await model.measure(fx.feeds, { sites: ["decoder.self.1"] });
    expect(one.sites.map((s) => s.site.id)).toEqual(["decoder.self.1"]);
    await expect(model.measure(fx.feeds, { sites: ["decoder.self.9"] })).rejects.toThrow(/no site "decoder.self.9"/);
    await expect(model.measure(fx.feeds, { rollout: true })).rejects.toThrow(/no rollout was built/);
    await model.release();
    const plain = await openModel(fx.modelPath, { providers: ["cpu"] });
    await expect(plain.measure(fx.feeds)).rejects.toThrow(/inGraphMetrics: true/);
    await plain.release();
  });

  it("refuses models below opset 11 with what to do instead", async () => {
    const built = constructedModel({ layers: [["self", "previous"]], vocab: 8 });
    await expect(openModel(withOpset(built.bytes, 10), { providers: ["cpu"], inGraphMetrics: true })).rejects.toThrow(
      /opset ≥ 11.*analyzeResult/,
    );
  });
});
