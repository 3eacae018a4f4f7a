/** Reading the numbers inside small constant tensors (shapes, scales, masks) for graph analysis. */
import type { TensorInfo } from "./model";
import { DataType } from "./schema";

/** Tensors above this many elements are weights, not analysis constants; reading them is skipped. */
const MAX_ANALYSIS_ELEMENTS = 1 << 20;

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/**
 * The values of a numeric tensor as plain numbers, or null when it is external, too large,
 * or of a type analysis does not need (strings, float16).
 */
export function tensorValues(t: TensorInfo): number[] | null {
  const n = elementCount(t.dims);
  if (t.external || n > MAX_ANALYSIS_ELEMENTS) return null;
  if (t.raw) return rawValues(t.raw, t.dataType, n);
  switch (t.dataType) {
    case DataType.FLOAT:
      return t.floatData ?? [];
    case DataType.DOUBLE:
      return t.doubleData ?? [];
    case DataType.INT64:
    case DataType.UINT64:
      return t.int64Data ?? [];
    case DataType.INT32:
    case DataType.INT16:
    case DataType.INT8:
    case DataType.UINT16:
    case DataType.UINT8:
    case DataType.BOOL:
      return t.int32Data ?? [];
    default:
      return null;
  }
}

function rawValues(raw: Uint8Array, dataType: number, n: number): number[] | null {
  // Copy to an aligned buffer: raw_data inside the model bytes has arbitrary alignment.
  const aligned = new Uint8Array(raw).buffer; // a copy: Node Buffer.slice() would share memory
  const dv = new DataView(aligned);
  const out = new Array<number>(n);
  switch (dataType) {
    case DataType.FLOAT:
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
      return out;
    case DataType.DOUBLE:
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
      return out;
    case DataType.INT64:
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(i * 8, true));
      return out;
    case DataType.UINT64:
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigUint64(i * 8, true));
      return out;
    case DataType.INT32:
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true);
      return out;
    case DataType.UINT32:
      for (let i = 0; i < n; i++) out[i] = dv.getUint32(i * 4, true);
      return out;
    case DataType.INT16:
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true);
      return out;
    case DataType.UINT16:
      for (let i = 0; i < n; i++) out[i] = dv.getUint16(i * 2, true);
      return out;
    case DataType.INT8:
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      return out;
    case DataType.UINT8:
    case DataType.BOOL:
      for (let i = 0; i < n; i++) out[i] = dv.getUint8(i);
      return out;
    default:
      return null;
  }
}
