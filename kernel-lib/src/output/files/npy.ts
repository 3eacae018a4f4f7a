/**
 * NumPy .npy (format 1.0) for float32 arrays: the CLI writes one per site so Python users can
 * `np.load` them; tests read torch's reference maps with the same code.
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const dictText = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  // Header (magic + version + length + dict + newline) is padded to a multiple of 64 bytes.
  const unpadded = 10 + dictText.length + 1;
  const pad = (64 - (unpadded % 64)) % 64;
  const header = `${dictText}${" ".repeat(pad)}\n`;
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

export interface NpyArray {
  data: Float32Array;
  shape: number[];
}

/** Reads little-endian float32/float64 C-order arrays (what numpy.save writes for them). */
export function decodeNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error("not a .npy file (bad magic)");
  const major = bytes[6];
  if (major < 1 || major > 3) throw new Error(`.npy format version ${major} is not supported (expected 1, 2 or 3)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start) throw new Error(".npy header is truncated");
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (start + headerLen > bytes.length) throw new Error(`.npy header says ${headerLen} bytes but the file ends first`);
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (shapeText === undefined) throw new Error(".npy header has no 'shape'");
  const parts = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  // Each dimension must be a plain non-negative integer: "-1", "2.5" or "1e3" are not sizes.
  const bad = parts.find((p) => !/^\d{1,15}$/.test(p));
  if (bad !== undefined)
    throw new Error(
      `.npy shape (${JSON.stringify(shapeText).slice(1, -1)}) has ${JSON.stringify(bad)}, which is not a size (whole number ≥ 0)`,
    );
  const shape = parts.map(Number);
  if (fortran) throw new Error(".npy in Fortran order is not supported; save with C order");
  const n = shape.reduce((a, b) => a * b, 1);
  const size = descr === "<f4" ? 4 : descr === "<f8" ? 8 : 0;
  if (!size) throw new Error(`.npy dtype ${JSON.stringify(descr ?? null)} is not supported (expected "<f4" or "<f8")`);
  const available = bytes.length - start - headerLen;
  if (!Number.isSafeInteger(n) || n * size > available) {
    throw new Error(`.npy shape (${shapeText}) needs ${n * size} bytes of data but the file has ${available}`);
  }
  const body = new Uint8Array(bytes.subarray(start + headerLen, start + headerLen + n * size)); // copied for alignment
  const data =
    size === 4 ? new Float32Array(body.buffer, 0, n) : Float32Array.from(new Float64Array(body.buffer, 0, n));
  return { data, shape };
}
