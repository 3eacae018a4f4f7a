import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { OutputPlan } from "./outputPlan";

const feeds = (n: number) => ({ input_ids: new ort.Tensor("int64", new BigInt64Array(n), [1, n]) });

describe("OutputPlan", () => {
  it("pre-allocates float32 outputs only for input shapes it has seen", () => {
    const plan = new OutputPlan();
    expect(plan.fetches(feeds(4), ["p"])).toEqual({ p: null });
    plan.learn(feeds(4), ["p", "ids"], {
      p: new ort.Tensor("float32", new Float32Array(2 * 4 * 4), [1, 2, 4, 4]),
      ids: new ort.Tensor("int64", new BigInt64Array(4), [1, 4]),
    });
    const f = plan.fetches(feeds(4), ["p", "ids"]);
    expect(f.p?.dims).toEqual([1, 2, 4, 4]);
    expect(f.p?.type).toBe("float32");
    expect(f.ids).toBeNull();
    expect(plan.fetches(feeds(5), ["p"]).p).toBeNull();
    plan.forget(feeds(4));
    expect(plan.fetches(feeds(4), ["p"]).p).toBeNull();
  });

  it("writes into a recycled buffer of exactly the right size, each buffer at most once", () => {
    const plan = new OutputPlan();
    plan.learn(feeds(4), ["p", "q"], {
      p: new ort.Tensor("float32", new Float32Array(32), [1, 2, 4, 4]),
      q: new ort.Tensor("float32", new Float32Array(32), [1, 2, 4, 4]),
    });
    const small = new Float32Array(16);
    const right = new Float32Array(32);
    const pool = [small, right];
    const f = plan.fetches(feeds(4), ["p", "q"], pool);
    expect(f.p?.data).toBe(right);
    expect(f.q?.data).not.toBe(right); // the pool had only one buffer of 32 floats
    expect(f.q?.data).not.toBe(small);
    expect(pool).toEqual([small]);
  });
});
