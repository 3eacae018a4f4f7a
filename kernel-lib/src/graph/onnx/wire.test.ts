import { describe, expect, it } from "vitest";
import { decodeModel } from "./decode";
import { DataType, editModel, encodeModel } from "./encode";
import { tensorValues } from "./tensorValues";
import { firstOutOfOrder } from "./topologicalOrder";
import { ProtoReader, ProtoWriter } from "./wire";

describe("protobuf wire format", () => {
  it("round-trips varints, including negative int64 and values above 2^32", () => {
    const values = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 2 ** 52 + 1, -1, -2, -(2 ** 31), -(2 ** 40) - 3];
    const w = new ProtoWriter();
    for (const v of values) w.varint(v);
    const r = new ProtoReader(w.finish());
    expect(values.map(() => r.varint())).toEqual(values);
    expect(r.done).toBe(true);
  });

  it("writes -1 as the 10-byte varint protobuf uses", () => {
    expect([...new ProtoWriter().varint(-1).finish()]).toEqual([255, 255, 255, 255, 255, 255, 255, 255, 255, 1]);
  });

  it("rejects truncated input", () => {
    const bytes = new ProtoWriter().string(1, "hello world").finish();
    const r = new ProtoReader(bytes.subarray(0, 6));
    r.tag();
    expect(() => r.span()).toThrow(/truncated/);
  });
});

describe("ONNX model encode/decode", () => {
  const model = encodeModel({
    name: "g",
    nodes: [
      { name: "r", opType: "Reshape", inputs: ["x", "shape"], outputs: ["y"] },
      { name: "s", opType: "Softmax", inputs: ["y"], outputs: ["z"], attributes: { axis: { i: -1 } } },
    ],
    inputs: [{ name: "x", elemType: DataType.FLOAT, shape: ["batch", 6] }],
    outputs: [{ name: "z", elemType: DataType.FLOAT, shape: ["batch", 2, 3] }],
    initializers: [{ name: "shape", dataType: DataType.INT64, dims: [3], data: new BigInt64Array([-1n, 2n, 3n]) }],
  });

  it("decodes what it encodes", () => {
    const m = decodeModel(model);
    expect(m.irVersion).toBe(8);
    expect(m.opsets.get("")).toBe(17);
    expect(m.graph.nodes.map((n) => n.opType)).toEqual(["Reshape", "Softmax"]);
    expect(m.graph.nodes[1].attributes.get("axis")?.i).toBe(-1);
    expect(m.graph.inputs[0]).toEqual({ name: "x", elemType: DataType.FLOAT, shape: ["batch", 6] });
    expect(tensorValues(m.graph.initializers.get("shape")!)).toEqual([-1, 2, 3]);
  });

  it("edits by splicing: adds outputs and nodes, removes nodes, keeps the rest byte-identical", () => {
    const m = decodeModel(model);
    const edited = decodeModel(
      editModel(m, {
        addOutputs: [{ name: "y" }],
        addNodes: [{ name: "id", opType: "Identity", inputs: ["z"], outputs: ["z2"] }],
        removeNodes: new Set([1]),
        addOpsets: { "com.microsoft": 1 },
      }),
    );
    expect(edited.graph.outputs.map((o) => o.name)).toEqual(["z", "y"]);
    expect(edited.graph.nodes.map((n) => n.name)).toEqual(["r", "id"]);
    expect(edited.opsets.get("com.microsoft")).toBe(1);
    expect(tensorValues(edited.graph.initializers.get("shape")!)).toEqual([-1, 2, 3]);
  });

  it("writes replacement nodes where the replaced node stood, keeping the graph topologically sorted", () => {
    const m = decodeModel(model);
    const edited = decodeModel(
      editModel(m, {
        replaceNodes: new Map([
          [
            0,
            [
              { name: "a", opType: "Identity", inputs: ["x"], outputs: ["x2"] },
              { name: "b", opType: "Reshape", inputs: ["x2", "shape"], outputs: ["y"] },
            ],
          ],
        ]),
      }),
    );
    expect(edited.graph.nodes.map((n) => n.name)).toEqual(["a", "b", "s"]);
    expect(firstOutOfOrder(edited.graph)).toBeNull();
  });

  it("finds the first node that reads a value produced later", () => {
    const m = decodeModel(model);
    expect(firstOutOfOrder(m.graph)).toBeNull();
    const swapped = decodeModel(
      editModel(m, {
        removeNodes: new Set([0]),
        addNodes: [{ name: "r", opType: "Reshape", inputs: ["x", "shape"], outputs: ["y"] }],
      }),
    );
    expect(firstOutOfOrder(swapped.graph)).toEqual({ node: "s", input: "y" });
  });

  it("edits inside an arena with room in front, or copies when the room is too small", () => {
    const m = decodeModel(model);
    const edit = { addOutputs: [{ name: "y", elemType: DataType.FLOAT, shape: [null, 2, 3] }] };
    const copied = editModel(m, edit);
    const arena = new Uint8Array(64 + model.length);
    arena.set(model, 64);
    const inPlace = editModel(decodeModel(arena.subarray(64)), edit, arena);
    expect(inPlace.buffer).toBe(arena.buffer);
    expect([...inPlace]).toEqual([...copied]);
    const tight = Uint8Array.from(model);
    const fallback = editModel(decodeModel(tight), edit, tight);
    expect(fallback.buffer).not.toBe(tight.buffer);
    expect([...fallback]).toEqual([...copied]);
    expect([...tight]).toEqual([...model]);
  });
});
