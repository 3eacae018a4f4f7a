/** Small ONNX graphs written in code for tests that need a model no exporter makes. */
import { DataType, encodeModel } from "../src/graph/onnx/encode";

/** A valid ONNX graph with a classifier Softmax and no attention at all. */
export function mlpClassifier(): Uint8Array {
  const w = new Float32Array(12).map((_, i) => (i % 5) / 7);
  return encodeModel({
    name: "mlp",
    nodes: [
      { name: "fc", opType: "MatMul", inputs: ["x", "w"], outputs: ["logits"] },
      { name: "probs", opType: "Softmax", inputs: ["logits"], outputs: ["p"], attributes: { axis: { i: -1 } } },
    ],
    inputs: [{ name: "x", elemType: DataType.FLOAT, shape: ["batch", 4] }],
    outputs: [{ name: "p", elemType: DataType.FLOAT, shape: ["batch", 3] }],
    initializers: [{ name: "w", dataType: DataType.FLOAT, dims: [4, 3], data: w }],
  });
}
