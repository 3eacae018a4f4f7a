import { afterAll, describe, expect, it, vi } from "vitest";
import type { AttentionResult } from "../../../result/types";
import { randomSite } from "../../../testing/syntheticMaps";

// ATTNLENS_HOST_ORT=0 stands for a runtime without onnxruntime-node (a browser bundle): the
// host sessions must say "unavailable" and rollout must give the reference result all the same.
describe("rollout without onnxruntime", () => {
  afterAll(() => {
    delete process.env.ATTNLENS_HOST_ORT;
  });

  it("takes the reference path and gives the same rollout", async () => {
    process.env.ATTNLENS_HOST_ORT = "0";
    vi.resetModules();
    const { ortMultiply } = await import("./rolloutHost");
    const { rollout } = await import("../rollout");
    expect(ortMultiply(new Float32Array(4), new Float32Array(4), 2, 2, 2)).toBeNull();
    const sites = [0, 1, 2].map((l) => randomSite("encoder", "self", l, { dims: [1, 2, 8, 8], seed: 40 + l }));
    const result: AttentionResult = { sites, provider: "cpu", fallbacks: [], masks: {} };
    const got = rollout(result);
    const want = rollout(result, { kernel: "js" });
    let diff = 0;
    for (let k = 0; k < want.data.length; k++) diff = Math.max(diff, Math.abs(got.data[k] - want.data[k]));
    expect(diff).toBeLessThan(1e-6);
    const site = sites[1];
    site.data[3] = Number.NaN;
    expect(() => rollout(result)).toThrow(
      /site encoder\.self\.1, sample 0, head 0, target row 0: the weights contain NaN/,
    );
  });
});
