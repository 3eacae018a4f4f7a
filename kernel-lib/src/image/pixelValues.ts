/**
 * Ready-made pixel_values (a Float32Array with dims, or nested arrays) → one float32 tensor
 * [batch, channels, height, width], checked against the shape the model was built for.
 */
import * as ort from "onnxruntime-node";
import { AttnlensError } from "../errors";
import type { VisionGeometry } from "./geometry";

/** Nested numbers: [batch][channel][row][col], or one image [channel][row][col]. */
export type NestedPixels = readonly NestedPixels[] | readonly number[];

export function expectedShape(g: VisionGeometry): string {
  return `[batch, ${g.channels}, ${g.height}, ${g.width}] (float32, channels first)`;
}

function flatten(v: NestedPixels): { data: Float32Array; dims: number[] } {
  const dims: number[] = [];
  for (let cur: unknown = v; Array.isArray(cur); cur = cur[0]) dims.push(cur.length);
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  let k = 0;
  const walk = (x: unknown, depth: number) => {
    if (depth === dims.length) {
      if (typeof x !== "number" || !Number.isFinite(x)) throw new Error("a value that is not a finite number");
      data[k++] = x;
      return;
    }
    if (!Array.isArray(x) || x.length !== dims[depth]) throw new Error(`ragged arrays at depth ${depth}`);
    for (const y of x) walk(y, depth + 1);
  };
  walk(v, 0);
  return { data, dims };
}

/** The pixel_values tensor; `model` names the model in errors. */
export function pixelTensor(
  values: Float32Array | NestedPixels | ort.Tensor,
  dims: readonly number[] | undefined,
  g: VisionGeometry,
  model: string,
): ort.Tensor {
  const want = expectedShape(g);
  let data: Float32Array;
  let shape: number[];
  if (values instanceof ort.Tensor) {
    if (values.type !== "float32")
      throw new AttnlensError("BAD_INPUT", `${model}: pixel_values is ${values.type}; it must be ${want}`);
    data = values.data as Float32Array;
    shape = [...values.dims];
  } else if (values instanceof Float32Array) {
    if (!dims)
      throw new AttnlensError("BAD_INPUT", `${model}: pixel_values as a Float32Array needs dims, e.g. ${want}`);
    data = values;
    shape = [...dims];
  } else if (Array.isArray(values)) {
    try {
      ({ data, dims: shape } = flatten(values));
    } catch (e) {
      throw new AttnlensError("BAD_INPUT", `${model}: pixel_values has ${(e as Error).message}; it must be ${want}`);
    }
  } else {
    throw new AttnlensError(
      "BAD_INPUT",
      `${model}: pixel_values must be a Float32Array with dims or nested arrays, ${want}`,
    );
  }
  if (shape.length === 3) shape = [1, ...shape];
  const size = shape.reduce((a, b) => a * b, 1);
  const ok =
    shape.length === 4 &&
    shape[0] > 0 &&
    shape[1] === g.channels &&
    shape[2] === g.height &&
    shape[3] === g.width &&
    size === data.length;
  if (!ok) {
    const hint =
      shape.length === 4 && shape[3] === g.channels && shape[1] !== g.channels
        ? " (channels last? transpose to channels first)"
        : size !== data.length
          ? ` (dims hold ${size} values, the array ${data.length})`
          : "";
    throw new AttnlensError(
      "BAD_INPUT",
      `${model}: pixel_values must be ${want}; got [${shape.join(", ")}]${hint}. ` +
        "Pass an image file instead to have it resized and normalized by the model's preprocessor_config.json",
    );
  }
  return new ort.Tensor("float32", data, shape);
}
