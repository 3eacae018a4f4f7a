/**
 * The pattern classifier against ONNX models whose heads have designed weights (the truth is
 * known by construction): 100 % correct on the clean maps the model computes, ≥ 90 % when
 * each map is mixed with 20 % uniform attention over the positions the head can see.
 */
import { describe, expect, it } from "vitest";
import { type AttentionResult, headPatterns, openModel, Tensor } from "../src";
import { constructedModel, type HeadDesign, seededRandom } from "../src/testing";
import { DECODER, ENCODER } from "./constructedDesigns";

const EXPECTED: Record<HeadDesign, string> = {
  self: "diagonal",
  previous: "previous",
  next: "next",
  window: "local",
  first: "vertical",
  segment: "block",
  uniform: "broad",
  induction: "induction",
};

/** Batch 2: a random half repeated (so induction has targets), the second sample padded. */
function feeds(length: number, seed: number, vocab: number) {
  const rand = seededRandom(seed);
  const ids: number[] = [];
  const mask: number[] = [];
  const segments: number[] = [];
  for (let b = 0; b < 2; b++) {
    const half = Array.from({ length: Math.ceil(length / 2) }, () => 1 + Math.floor(rand() * (vocab - 1)));
    const valid = b === 0 ? length : length - 3;
    for (let i = 0; i < length; i++) {
      ids.push(i < valid ? half[i % half.length] : 0);
      mask.push(i < valid ? 1 : 0);
      segments.push(i < Math.floor(valid / 2) ? 0 : 1);
    }
  }
  const t = (a: number[]) => new Tensor("int64", BigInt64Array.from(a, BigInt), [2, length]);
  return { input_ids: t(ids), attention_mask: t(mask), token_type_ids: t(segments) };
}

/** 0.8·A + 0.2·uniform over each row's visible, valid sources. */
function withNoise(result: AttentionResult): AttentionResult {
  const sites = result.sites.map((site) => {
    const [B, H, T, S] = site.dims;
    const data = new Float32Array(site.data);
    const mask = result.masks.encoder ?? result.masks.decoder;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < T; i++) {
        const visible = Array.from(
          { length: S },
          (_, j) => (!mask || mask.data[b * S + j]) && (!site.causal || j <= i),
        );
        const n = visible.filter(Boolean).length;
        for (let h = 0; h < H; h++) {
          const row = ((b * H + h) * T + i) * S;
          for (let j = 0; j < S; j++) data[row + j] = 0.8 * data[row + j] + (visible[j] ? 0.2 / n : 0);
        }
      }
    }
    return { ...site, data };
  });
  return { ...result, sites };
}

async function labelled(layers: HeadDesign[][], causal: boolean, length: number, seed: number, noisy: boolean) {
  const cm = constructedModel({ layers, causal, vocab: 24, maxPositions: 64 });
  const model = await openModel(cm.bytes, { providers: ["cpu"] });
  let result = await model.run(feeds(length, seed, 24));
  await model.release();
  if (noisy) result = withNoise(result);
  const outcomes: { want: string; got: string; site: string; head: number }[] = [];
  for (const site of result.sites) {
    headPatterns(result, site).forEach((p, h) => {
      const design = cm.truth.find((t) => t.site === site.id && t.head === h);
      if (!design) throw new Error(`no design for ${site.id} head ${h}`);
      outcomes.push({ want: EXPECTED[design.pattern], got: p.label, site: site.id, head: h });
    });
  }
  return outcomes;
}

describe("pattern recognition on constructed ONNX models", () => {
  it("labels every clean designed head correctly (encoder and causal decoder, several lengths)", async () => {
    const all = [];
    for (const [i, length] of [12, 23, 40].entries()) {
      all.push(...(await labelled(ENCODER, false, length, 10 + i, false)));
      all.push(...(await labelled(DECODER, true, length, 20 + i, false)));
    }
    const wrong = all.filter((o) => o.got !== o.want);
    expect(wrong).toEqual([]);
    expect(all.length).toBe(3 * (14 + 10));
  });

  it("labels ≥ 90 % correctly with 20 % uniform noise mixed into each map", async () => {
    const all = [];
    for (const [i, length] of [16, 31, 48].entries()) {
      all.push(...(await labelled(ENCODER, false, length, 30 + i, true)));
      all.push(...(await labelled(DECODER, true, length, 40 + i, true)));
    }
    const correct = all.filter((o) => o.got === o.want).length;
    expect(correct / all.length).toBeGreaterThanOrEqual(0.9);
  });

  it("needs enough rows: one repeated token does not make an induction head", async () => {
    const cm = constructedModel({
      layers: [
        ["previous", "self"],
        ["induction", "uniform"],
      ],
      causal: true,
      vocab: 24,
    });
    const model = await openModel(cm.bytes, { providers: ["cpu"] });
    const run = async (ids: number[]) => {
      const t = (a: number[]) => new Tensor("int64", BigInt64Array.from(a, BigInt), [1, a.length]);
      const result = await model.run({
        input_ids: t(ids),
        attention_mask: t(ids.map(() => 1)),
        token_type_ids: t(ids.map(() => 0)),
      });
      return headPatterns(result, result.sites[1])[0];
    };
    const distinct = Array.from({ length: 20 }, (_, i) => i + 1);
    // Token 6 comes back once, at the end: one row has an induction target (position 6); a score
    // from one row is not shown (null), let alone a label.
    const once = await run([...distinct, 6]);
    expect(once.scores.induction).toBeNull();
    expect(once.label).not.toBe("induction");
    // The whole sequence repeated: every row of the second half has one.
    const repeated = await run([...distinct.slice(0, 10), ...distinct.slice(0, 10)]);
    expect(repeated.label).toBe("induction");
    expect(repeated.scores.induction).toBeGreaterThan(0.5);
    await model.release();
  });

  it("reads the designed window width and the strip's token", async () => {
    const cm = constructedModel({ layers: [["window", "first"]], window: 3 });
    const model = await openModel(cm.bytes, { providers: ["cpu"] });
    const result = await model.run(feeds(20, 5, 16));
    const [window, first] = headPatterns(result, result.sites[0]);
    expect(window.window).toBe(3);
    expect(first.strip.map((s) => s[0])).toEqual([0, 0]);
    await model.release();
  });
});
