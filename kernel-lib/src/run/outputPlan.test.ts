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
});
