import { describe, expect, it } from "vitest";
import { AttnlensError } from "../../errors";
import { decodeModel } from "../onnx/decode";
import { encodeNode, encodeValueInfo, type NodeSpec } from "../onnx/encode";
import { AttributeField, AttributeType, DataType, GraphField, ModelField, NodeField, OpsetField } from "../onnx/schema";
import { ProtoWriter } from "../onnx/wire";
import { inlineCacheBranch } from "./mergedDecoder";

const F = DataType.FLOAT;

function graph(w: ProtoWriter, name: string, nodes: NodeSpec[], outputs: string[]): void {
  for (const n of nodes) w.bytes(GraphField.node, encodeNode(n));
  w.string(GraphField.name, name);
  for (const o of outputs) w.bytes(GraphField.output, encodeValueInfo({ name: o, elemType: F, shape: [1, 2] }));
}

/** A merged decoder in miniature: y = x + past (with the cache) or y = x (without), under If(use_cache_branch). */
function merged(branches: { thenBranch: NodeSpec[]; elseBranch: NodeSpec[] }, cond = "use_cache_branch"): Uint8Array {
  const ifNode = new ProtoWriter()
    .string(NodeField.input, cond)
    .string(NodeField.output, "y")
    .string(NodeField.name, "optimum::if")
    .string(NodeField.opType, "If");
  for (const [key, nodes] of [
    ["then_branch", branches.thenBranch],
    ["else_branch", branches.elseBranch],
  ] as const) {
    ifNode.message(NodeField.attribute, (a) => {
      a.string(AttributeField.name, key).int(AttributeField.type, AttributeType.GRAPH);
      a.message(AttributeField.g, (g) => graph(g, key, nodes, ["y"]));
    });
  }
  const w = new ProtoWriter().int(ModelField.irVersion, 9);
  w.message(ModelField.graph, (g) => {
    g.bytes(GraphField.node, ifNode.finish());
    g.string(GraphField.name, "merged");
    for (const [name, elemType, shape] of [
      ["x", F, [1, 2]],
      ["past_key_values.0.key", F, [1, 2]],
      [cond, DataType.BOOL, [1]],
    ] as const)
      g.bytes(GraphField.input, encodeValueInfo({ name, elemType, shape }));
    g.bytes(GraphField.output, encodeValueInfo({ name: "y", elemType: F, shape: [1, 2] }));
  });
  w.message(ModelField.opsetImport, (o) => o.int(OpsetField.version, 17));
  return w.finish();
}

const withPast: NodeSpec = { name: "add", opType: "Add", inputs: ["x", "past_key_values.0.key"], outputs: ["y"] };
const noPast: NodeSpec = { name: "copy", opType: "Identity", inputs: ["x"], outputs: ["y"] };
const ops = (bytes: Uint8Array | null) =>
  bytes && decodeModel(bytes).graph.nodes.map((n) => `${n.opType}(${n.inputs})`);

describe("inlineCacheBranch", () => {
  it("replaces the If by the branch that reads the past, whichever side it is on", () => {
    expect(ops(inlineCacheBranch(decodeModel(merged({ thenBranch: [withPast], elseBranch: [noPast] })), "m"))).toEqual([
      "Add(x,past_key_values.0.key)",
    ]);
    expect(ops(inlineCacheBranch(decodeModel(merged({ thenBranch: [noPast], elseBranch: [withPast] })), "m"))).toEqual([
      "Add(x,past_key_values.0.key)",
    ]);
    const kept = inlineCacheBranch(
      decodeModel(merged({ thenBranch: [withPast], elseBranch: [noPast] })),
      "m",
      "no-past",
    );
    expect(ops(kept)).toEqual(["Identity(x)"]);
    // The inputs stay: callers keep feeding use_cache_branch.
    expect(decodeModel(kept as Uint8Array).graph.inputs.map((i) => i.name)).toContain("use_cache_branch");
  });

  it("leaves a model without a cache If alone", () => {
    expect(
      inlineCacheBranch(decodeModel(merged({ thenBranch: [withPast], elseBranch: [noPast] }, "flag")), "m"),
    ).toBeNull();
  });

  it("refuses a with-past branch that skips an input the other reads (an encoder–decoder's cross keys)", () => {
    const fromCache: NodeSpec = { name: "c", opType: "Identity", inputs: ["past_key_values.0.key"], outputs: ["y"] };
    const m = decodeModel(merged({ thenBranch: [fromCache], elseBranch: [noPast] }));
    const e = (() => {
      try {
        inlineCacheBranch(m, "dec.onnx");
      } catch (x) {
        return x as AttnlensError;
      }
    })();
    expect(e).toBeInstanceOf(AttnlensError);
    expect(e?.code).toBe("BAD_MODEL");
    expect(e?.message).toMatch(/^dec\.onnx: the merged decoder's with-past branch does not read x, which its no-past/);
  });

  it("refuses an If where neither branch (or both) reads the past", () => {
    const m = decodeModel(merged({ thenBranch: [noPast], elseBranch: [noPast] }));
    expect(() => inlineCacheBranch(m, "dec.onnx")).toThrow(
      /is not optimum's merged decoder .*found 2 branches, 0 reading past inputs/,
    );
  });
});
