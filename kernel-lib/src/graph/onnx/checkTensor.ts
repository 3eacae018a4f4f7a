/**
 * Consistency checks of one decoded TensorProto: dims, data length and external-data fields.
 * Run by the decoder so that every later stage (shape evaluation, site discovery, surgery) can
 * trust a tensor's dims to describe its data; a malformed tensor is a format error naming it.
 */
import type { TensorInfo } from "./model";

/** Bytes per element of the fixed-size ONNX types (TensorProto.DataType → size); 4-bit types are 0.5. */
const ELEMENT_BYTES: Record<number, number> = {
  1: 4, // float
  2: 1, // uint8
  3: 1, // int8
  4: 2, // uint16
  5: 2, // int16
  6: 4, // int32
  7: 8, // int64
  9: 1, // bool
  10: 2, // float16
  11: 8, // double
  12: 4, // uint32
  13: 8, // uint64
  14: 8, // complex64
  15: 16, // complex128
  16: 2, // bfloat16
  17: 1, // float8e4m3fn
  18: 1, // float8e4m3fnuz
  19: 1, // float8e5m2
  20: 1, // float8e5m2fnuz
  21: 0.5, // uint4
  22: 0.5, // int4
  23: 0.5, // float4e2m1
};

/** Thrown for a tensor whose fields contradict each other; decode turns it into OnnxFormatError. */
export class TensorFormatError extends Error {}

export function checkTensor(t: TensorInfo): void {
  // Quoted as JSON: a name (or location) from the file may hold a newline, and the error is one line.
  const what = `tensor ${JSON.stringify(t.name || "(unnamed)")}`;
  const bad = t.dims.find((d) => !Number.isSafeInteger(d) || d < 0);
  if (bad !== undefined) {
    throw new TensorFormatError(`${what} has dims [${t.dims.join(", ")}]: dim ${bad} is not a size (≥ 0)`);
  }
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(n))
    throw new TensorFormatError(`${what} has dims [${t.dims.join(", ")}]: too many elements`);
  if (t.external) checkExternal(what, t.external);
  const size = ELEMENT_BYTES[t.dataType];
  if (t.raw && size !== undefined) {
    const want = Math.ceil(n * size);
    if (t.raw.length !== want) {
      throw new TensorFormatError(
        `${what} has ${t.raw.length} bytes of raw_data but dims [${t.dims.join(", ")}] need ${want}`,
      );
    }
  }
  if (t.raw || t.dataType >= 21) return;
  // Typed data fields hold one value per element (two for complex types) when they are used.
  const per = t.dataType === 14 || t.dataType === 15 ? 2 : 1;
  for (const [field, values] of [
    ["float_data", t.floatData],
    ["double_data", t.doubleData],
    ["int32_data", t.int32Data],
    ["int64_data", t.int64Data],
  ] as const) {
    if (values && values.length !== n * per) {
      throw new TensorFormatError(
        `${what} has ${values.length} values in ${field} but dims [${t.dims.join(", ")}] need ${n * per}`,
      );
    }
  }
}

function checkExternal(what: string, ext: NonNullable<TensorInfo["external"]>): void {
  const { location, offset, length } = ext;
  // The weights file must sit beside the model: no absolute paths, no way up out of its directory.
  if (!location || /^([/\\]|[A-Za-z]:)/.test(location) || location.split(/[/\\]/).includes("..")) {
    throw new TensorFormatError(
      `${what} keeps its data in ${JSON.stringify(location)}: an external-data location must be a file beside the model`,
    );
  }
  if (
    !Number.isSafeInteger(offset) ||
    offset < 0 ||
    (length !== null && (!Number.isSafeInteger(length) || length < 0))
  ) {
    throw new TensorFormatError(`${what} has an external-data offset/length that is not a byte count`);
  }
}
