/**
 * Provider fallback: onnxruntime-node throws on a provider it cannot load; attnlens tries the
 * next one and records why. This machine has no GPU, so CUDA and WebGPU must fall back to CPU.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openModel } from "../src";
import { normalizeProviders, providerUnavailableReason } from "../src/run/providers";
import { createSession } from "../src/run/session";
import { loadFixture } from "./fixtureFiles";

const fx = loadFixture("gpt2_like");

describe("execution providers", () => {
  it("defaults to cuda → webgpu → cpu", () => {
    expect(normalizeProviders(undefined)).toEqual(["cuda", "webgpu", "cpu"]);
    expect(normalizeProviders([" CPU ", "cpu"])).toEqual(["cpu"]);
  });

  it("falls back to the CPU and says why each GPU provider was not used", async () => {
    const model = await openModel(fx.modelPath);
    const result = await model.run(fx.feeds);
    const unavailable = ["cuda", "webgpu"].filter((p) => providerUnavailableReason(p as "cuda") !== null);
    // On a GPU machine a provider may work; every provider before the one that ran must be explained.
    const order = ["cuda", "webgpu", "cpu"];
    expect(order).toContain(result.provider);
    expect(result.fallbacks.map((f) => f.provider)).toEqual(order.slice(0, order.indexOf(result.provider)));
    for (const f of result.fallbacks) expect(f.reason.length).toBeGreaterThan(10);
    if (unavailable.length === 2) expect(result.provider).toBe("cpu");
    await model.release();
  });

  it("records onnxruntime's own refusal when a provider passes the pre-checks but fails", async () => {
    // "qnn" passes attnlens's pre-check on Linux; onnxruntime-node has no QNN backend here.
    const opened = await createSession(readFileSync(fx.modelPath), ["qnn", "cpu"]);
    expect(opened.provider).toBe("cpu");
    expect(opened.fallbacks[0].provider).toBe("qnn");
    expect(opened.fallbacks[0].reason).toMatch(/backend|qnn/i);
    await opened.session.release();
  });

  it("fails with every reason listed when no provider works", async () => {
    // DirectML and CoreML belong to other operating systems: neither can run here.
    const foreign = ["dml", "coreml"].filter((p) => providerUnavailableReason(p as "dml") !== null);
    expect(foreign.length).toBeGreaterThan(0);
    const pattern = new RegExp(`no execution provider could run[\\s\\S]*${foreign.join(":[\\s\\S]*")}:`);
    await expect(openModel(fx.modelPath, { providers: foreign })).rejects.toThrow(pattern);
  });
});
