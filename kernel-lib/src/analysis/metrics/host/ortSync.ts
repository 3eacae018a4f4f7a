/**
 * Small onnxruntime CPU sessions run synchronously, for host-side analysis that must stay a plain
 * function call (rollout(result) returns its value). onnxruntime-node's public `run` is async only
 * because it defers the native call with setImmediate; the native session underneath runs in the
 * calling thread. We load that binding (onnxruntime-node/dist/binding, pinned at 1.30) and check
 * its shape: where it is missing or differs (a browser, another version) `syncSession` returns null
 * and callers keep their WebAssembly / JavaScript path. Inputs are onnxruntime Tensors over the
 * caller's Float32Arrays (the binding reads their memory in place, no copy).
 */
import { encodeModel, type GraphSpec } from "../../../graph/onnx/encode";

interface NativeSession {
  loadModel(buffer: ArrayBuffer, offset: number, length: number, options: object): void;
  dispose?(): void;
  run(
    feeds: Record<string, unknown>,
    fetches: Record<string, null>,
    options: object,
  ): Record<string, { data: unknown; dims: readonly number[] }>;
}
interface Binding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}
type TensorClass = new (type: string, data: Float32Array | BigInt64Array, dims: readonly number[]) => unknown;

/**
 * A cached session: named float32 (or int64) inputs in, float32 outputs out; null when onnxruntime
 * fails the run (e.g. cannot allocate) or refuses the inputs, so callers take their reference path instead.
 */
export interface SyncSession {
  run(
    feeds: Record<string, { data: Float32Array | BigInt64Array; dims: readonly number[] }>,
  ): Record<string, Float32Array> | null;
}

let native: { binding: Binding; Tensor: TensorClass } | null | undefined;
const sessions = new Map<string, SyncSession | null>();
/** Each group's keys, least recently used first, and their native sessions (see `SessionGroup`). */
const groups = new Map<string, { keys: string[]; natives: Map<string, NativeSession> }>();

/**
 * Sessions whose graphs vary with their input (rollout's one-run graph has one per layer count)
 * are kept `keep` at a time: onnxruntime keeps each session's working memory (its arena) until the
 * session is released, so an unbounded set of them would hold memory for graphs not used again.
 */
export interface SessionGroup {
  name: string;
  keep: number;
}

function loadNative(): { binding: Binding; Tensor: TensorClass } | null {
  if (native !== undefined) return native;
  native = null;
  if (typeof require !== "function" || process.env.ATTNLENS_HOST_ORT === "0") return native;
  try {
    const binding = require("onnxruntime-node/dist/binding") as Binding;
    const { Tensor } = require("onnxruntime-node") as { Tensor: TensorClass };
    if (typeof binding?.binding?.InferenceSession !== "function" || typeof binding.initOrt !== "function")
      return native;
    // As run/session.ts does for model sessions: onnxruntime reads its process-wide log level once,
    // and at its default ("warning") it prints notes about these internal graphs to the terminal.
    const env = (require("onnxruntime-node") as { env?: { logLevel?: string } }).env;
    if (env && env.logLevel === "warning") env.logLevel = "fatal";
    binding.initOrt();
    native = { binding, Tensor };
  } catch {
    native = null;
  }
  return native;
}

/**
 * The session for `key`, built from `graph` on first use (opset 17); null where the synchronous
 * binding is unavailable or the session cannot be made (callers fall back).
 */
export function syncSession(key: string, graph: () => GraphSpec, group?: SessionGroup): SyncSession | null {
  if (sessions.has(key)) {
    if (group) touch(group, key);
    return sessions.get(key) ?? null;
  }
  const ort = loadNative();
  let made: SyncSession | null = null;
  let handle: NativeSession | null = null;
  if (ort) {
    try {
      const spec = graph();
      const bytes = encodeModel(spec);
      const s = new ort.binding.binding.InferenceSession();
      handle = s;
      // no spinning: on a shared machine idle pool threads would burn the CPU time we measure
      s.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, {
        executionProviders: [{ name: "cpu" }],
        graphOptimizationLevel: "all",
        logSeverityLevel: 4, // fatal only: a failed run returns null and the caller falls back
        extra: { session: { intra_op: { allow_spinning: "0" } } },
      });
      const outputs = spec.outputs.map((o) => o.name);
      made = {
        run(feeds) {
          const tensors: Record<string, unknown> = {};
          let out: ReturnType<NativeSession["run"]>;
          try {
            for (const [name, f] of Object.entries(feeds))
              tensors[name] = new ort.Tensor(f.data instanceof BigInt64Array ? "int64" : "float32", f.data, f.dims);
            out = s.run(tensors, Object.fromEntries(outputs.map((o) => [o, null])), {});
          } catch {
            return null;
          }
          const got: Record<string, Float32Array> = {};
          for (const o of outputs) {
            const d = out[o]?.data;
            if (!(d instanceof Float32Array)) return null;
            got[o] = d;
          }
          return got;
        },
      };
    } catch {
      made = null;
    }
  }
  sessions.set(key, made);
  if (group && made && handle) keepInGroup(group, key, handle);
  return made;
}

/** Marks `key` as the group's most recently used. */
function touch(group: SessionGroup, key: string): void {
  const keys = groups.get(group.name)?.keys;
  const at = keys?.indexOf(key) ?? -1;
  if (keys && at >= 0) keys.push(...keys.splice(at, 1));
}

/** Adds a new session to its group, releasing the least recently used beyond `keep`. */
function keepInGroup(group: SessionGroup, key: string, session: NativeSession): void {
  let g = groups.get(group.name);
  if (!g) groups.set(group.name, (g = { keys: [], natives: new Map() }));
  g.keys.push(key);
  g.natives.set(key, session);
  while (g.keys.length > Math.max(1, group.keep)) {
    const old = g.keys.shift() as string;
    sessions.delete(old);
    try {
      g.natives.get(old)?.dispose?.();
    } catch {
      // released or not, it is no longer used
    }
    g.natives.delete(old);
  }
}

/** The keys of a group's sessions, least recently used first (for tests). */
export function groupKeys(name: string): string[] {
  return [...(groups.get(name)?.keys ?? [])];
}
