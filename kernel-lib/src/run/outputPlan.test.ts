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

  const learned = (dims: number[], names = ["p"], scratchLimit?: number) => {
    const plan = new OutputPlan(scratchLimit);
    const size = dims.reduce((a, b) => a * b, 1);
    plan.learn(
      feeds(4),
      names,
      Object.fromEntries(names.map((n) => [n, new ort.Tensor("float32", new Float32Array(size), dims)])),
    );
    return plan;
  };
  const copyOf = (fetches: Record<string, ort.Tensor | null>) =>
    Object.fromEntries(
      Object.entries(fetches).map(([n, t]) => [
        n,
        new ort.Tensor("float32", Float32Array.from(t?.data as Float32Array), t?.dims ?? []),
      ]),
    );

  it("hands the same scratch buffer to consecutive runs of one shape", () => {
    const plan = learned([1, 2, 4, 4]);
    const first = plan.fetches(feeds(4), ["p"]);
    plan.release(first, copyOf(first)); // a binding that copies, as onnxruntime-node does
    const second = plan.fetches(feeds(4), ["p"]);
    expect(second.p?.data).toBe(first.p?.data);
  });

  it("never writes again into a buffer a run returned as its own output", () => {
    const plan = learned([1, 2, 4, 4]);
    const first = plan.fetches(feeds(4), ["p"]);
    plan.release(first, first as Record<string, ort.Tensor>); // a binding that returns the buffer itself
    expect(plan.fetches(feeds(4), ["p"]).p?.data).not.toBe(first.p?.data);
  });

  it("gives a run that overlaps another fresh buffers", () => {
    const plan = learned([1, 2, 4, 4]);
    const first = plan.fetches(feeds(4), ["p"]);
    const overlapping = plan.fetches(feeds(4), ["p"]);
    expect(overlapping.p?.data).not.toBe(first.p?.data);
    plan.release(overlapping, copyOf(overlapping)); // does not end the first run's hold
    expect(plan.fetches(feeds(4), ["p"]).p?.data).not.toBe(first.p?.data);
    plan.release(first, copyOf(first));
    expect(plan.fetches(feeds(4), ["p"]).p?.data).toBe(first.p?.data);
  });

  it("keeps no more than its scratch limit between runs", () => {
    const plan = learned([100], ["a", "b"], 600); // 400 bytes each: the second would exceed 600
    const first = plan.fetches(feeds(4), ["a", "b"]);
    plan.release(first, copyOf(first));
    const second = plan.fetches(feeds(4), ["a", "b"]);
    expect(second.a?.data).toBe(first.a?.data);
    expect(second.b?.data).not.toBe(first.b?.data);
  });

  it("keeps the dims and scratch of outputs a run on fewer of them did not fetch", () => {
    const plan = learned([1, 2, 4, 4], ["a", "b"]);
    const all = plan.fetches(feeds(4), ["a", "b"]);
    plan.release(all, copyOf(all));
    // A run fetching only "a" (run(feeds, { sites: [...] })) learns from its own results.
    const some = plan.fetches(feeds(4), ["a"]);
    expect(Object.keys(some)).toEqual(["a"]);
    plan.release(some, copyOf(some));
    plan.learn(feeds(4), ["a"], copyOf(some));
    const again = plan.fetches(feeds(4), ["a", "b"]);
    expect(again.b?.dims).toEqual([1, 2, 4, 4]);
    expect(again.a?.data).toBe(all.a?.data);
    expect(again.b?.data).toBe(all.b?.data);
  });

  it("forgets the dims of an output that a later run returned as another type", () => {
    const plan = learned([1, 2, 4, 4]);
    plan.learn(feeds(4), ["p"], { p: new ort.Tensor("float64", new Float64Array(32), [1, 2, 4, 4]) });
    expect(plan.fetches(feeds(4), ["p"]).p).toBeNull();
  });
});
