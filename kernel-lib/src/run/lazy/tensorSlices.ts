/** Copying a range of one axis out of a tensor, whatever its element type (row blocks, batch rows). */
import * as ort from "onnxruntime-node";

type Data = ort.Tensor["data"];

/** Elements [start, end) along `axis` (negative counts from the end), as a new tensor. */
export function sliceAxis(t: ort.Tensor, axis: number, start: number, end: number): ort.Tensor {
  const dims = [...t.dims];
  const a = axis < 0 ? axis + dims.length : axis;
  const outer = dims.slice(0, a).reduce((x, y) => x * y, 1);
  const inner = dims.slice(a + 1).reduce((x, y) => x * y, 1);
  const len = dims[a];
  const width = end - start;
  const src = t.data as Exclude<Data, string[]>;
  const out = new (src.constructor as new (n: number) => typeof src)(outer * width * inner);
  for (let o = 0; o < outer; o++)
    (out as Float32Array).set(
      (src as Float32Array).subarray((o * len + start) * inner, (o * len + end) * inner),
      o * width * inner,
    );
  dims[a] = width;
  return new ort.Tensor(t.type as "float32", out as Float32Array, dims);
}

/** An int64 tensor of the given numbers (shapes fed to a replay). */
export function int64Tensor(values: readonly number[]): ort.Tensor {
  return new ort.Tensor(
    "int64",
    BigInt64Array.from(values, (v) => BigInt(v)),
    [values.length],
  );
}

/** A tensor's bytes as held in memory. */
export function tensorBytes(t: ort.Tensor): number {
  const d = t.data as { byteLength?: number };
  return d.byteLength ?? 0;
}
