/**
 * Binary values in widget state travel beside the JSON (widget protocol 2: `buffer_paths`): each
 * binary value is taken out of the state and sent as one buffer, its path (keys and indices from the
 * state's root) listed in `buffer_paths` in the same order.
 */

export type BufferPath = (string | number)[];

function isBinary(v: unknown): v is ArrayBuffer | ArrayBufferView {
  return v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

function bytesOf(v: ArrayBuffer | ArrayBufferView): Uint8Array {
  return v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** A copy of `state` without its binary values (set to null), the buffers and their paths. */
export function splitBuffers(state: Record<string, unknown>): {
  state: Record<string, unknown>;
  bufferPaths: BufferPath[];
  buffers: Uint8Array[];
} {
  const bufferPaths: BufferPath[] = [];
  const buffers: Uint8Array[] = [];
  const walk = (value: unknown, at: BufferPath): unknown => {
    if (isBinary(value)) {
      bufferPaths.push(at);
      buffers.push(bytesOf(value));
      return null;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...at, i]));
    if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, [...at, k]);
      return out;
    }
    return value;
  };
  return { state: walk(state, []) as Record<string, unknown>, bufferPaths, buffers };
}

/**
 * Puts received buffers back at their paths in `state` (in place). Throws an Error saying what is
 * wrong when the paths are malformed, do not match the buffer count, or lead nowhere.
 */
export function insertBuffers(state: Record<string, unknown>, bufferPaths: unknown, buffers: Uint8Array[]): void {
  const paths = bufferPaths ?? [];
  if (!Array.isArray(paths)) throw new Error("buffer_paths is not a list");
  if (paths.length !== buffers.length) {
    throw new Error(`buffer_paths lists ${paths.length} path(s) for ${buffers.length} buffer(s)`);
  }
  paths.forEach((p, i) => {
    const ok = Array.isArray(p) && p.length > 0 && p.every((k) => typeof k === "string" || Number.isInteger(k));
    if (!ok) throw new Error(`buffer_paths[${i}] is not a non-empty list of keys and indices`);
    if (p.includes("__proto__")) throw new Error(`buffer_paths[${i}] names __proto__`);
    let node: unknown = state;
    for (const k of p.slice(0, -1)) {
      node = node && typeof node === "object" ? (node as Record<string | number, unknown>)[k] : undefined;
    }
    const last = p[p.length - 1];
    if (!node || typeof node !== "object" || (Array.isArray(node) && typeof last !== "number")) {
      throw new Error(`buffer_paths[${i}] (${JSON.stringify(p)}) does not lead into the state`);
    }
    (node as Record<string | number, unknown>)[last] = buffers[i];
  });
}
