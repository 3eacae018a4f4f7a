/**
 * The payload of a real extraction: the torch-exported T5-like fixture run through openModel, encoded,
 * decoded as the widgets decode it, and compared with the maps (a model runs, so it lives here, not in src/).
 */
import { describe, expect, it } from "vitest";
import { decodePayload, mapAt } from "../../widgets/src/payload";
import { encodePayload } from "../src/output/payload/encode";
import { openModel } from "../src/run/openModel";
import { loadFixture } from "./fixtureFiles";

function maxAbs(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe("a real extraction (torch-exported T5-like fixture)", () => {
  it("encodes every site with its streams, masks and rollout, and decodes", async () => {
    const fx = loadFixture("t5_like");
    const model = await openModel(fx.modelPath, { providers: ["cpu"] });
    const result = await model.run(fx.feeds);
    await model.release();
    const p = decodePayload(JSON.stringify(encodePayload(result)));
    expect(p.sites.map((s) => [s.id, s.rows, s.cols])).toEqual(
      result.sites.map((s) => [
        s.id,
        s.stack === "encoder" ? "source" : "target",
        s.kind === "self" && s.stack === "decoder" ? "target" : "source",
      ]),
    );
    expect(p.tokens.source!.synthetic).toBe(true);
    expect(p.tokens.source!.padding).toEqual(
      fx.expected.masks.encoder.map((row) => row.flatMap((v, i) => (v ? [] : [i]))),
    );
    expect(p.probes?.rollout?.cross?.dims).toEqual([2, 1, 6, 8]);
    const site = result.sites[3];
    const got = mapAt(p.sites[3].maps!, 1, 2);
    const [, H, T, S] = site.dims;
    const want = site.data.subarray((1 * H + 2) * T * S, (1 * H + 3) * T * S);
    expect(maxAbs(got, want)).toBeLessThanOrEqual(Math.max(...want) / 510 + 1e-7);
  });
});
