/**
 * The key/value cache of a decoder export (optimum `text-generation-with-past`, transformers.js's
 * merged decoder): which inputs take the past and which outputs return the present, and the feeds of
 * one cached step — the new tokens only, with the previous step's presents as the past.
 */
import * as ort from "onnxruntime-node";
import { AttnlensError } from "../../errors";
import type { AttentionResult } from "../../result/types";
import type { AttentionModel } from "../attentionModel";
import type { Feeds } from "../feeds";

/** One cached tensor: the input that takes it and the output that returns it after a step. */
export interface CacheBinding {
  past: string;
  present: string;
}

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

/**
 * The model's cache bindings (past_key_values.N.key|value ← present.N.key|value), or null when it
 * takes no past. A model that takes a past but returns no matching present cannot be stepped.
 */
export function cacheBindings(model: Pick<AttentionModel, "inputs" | "outputs">): CacheBinding[] | null {
  const past = model.inputs.map((s) => s.name).filter((n) => PAST.test(n));
  if (past.length === 0) return null;
  const bindings = past.map((p) => ({ past: p, present: p.replace(/^past_key_values/, "present") }));
  const missing = bindings.filter((b) => !model.outputs.includes(b.present));
  if (missing.length > 0) {
    throw new AttnlensError(
      "BAD_MODEL",
      `the model takes ${missing.map((b) => b.past).join(", ")} but returns no ${missing.map((b) => b.present).join(", ")}; ` +
        "generation cannot carry the cache: re-export with optimum's text-generation-with-past task",
    );
  }
  return bindings;
}

/** Feeds of one step of a decoder-only model: `ids` are the new tokens, `past` the cache so far (null: empty). */
export function stepFeeds(
  model: Pick<AttentionModel, "inputs">,
  bindings: readonly CacheBinding[],
  ids: readonly number[],
  past: Feeds | null,
  pastLength: number,
): Feeds {
  const total = pastLength + ids.length;
  const feeds: Feeds = {};
  for (const spec of model.inputs) {
    const name = spec.name;
    if (name === "input_ids") feeds[name] = ints(spec.type, ids, [1, ids.length]);
    else if (name === "attention_mask") feeds[name] = ints(spec.type, Array(total).fill(1), [1, total]);
    else if (name === "position_ids")
      feeds[name] = ints(
        spec.type,
        ids.map((_, i) => pastLength + i),
        [1, ids.length],
      );
    else if (name === "use_cache_branch") feeds[name] = new ort.Tensor("bool", Uint8Array.of(past ? 1 : 0), [1]);
    else if (PAST.test(name)) feeds[name] = past?.[name] ?? emptyPast(spec.dims);
    else
      throw new AttnlensError(
        "BAD_FEEDS",
        `cached generation cannot fill the input "${name}": pass feeds yourself with model.run(feeds)`,
      );
  }
  for (const b of bindings) if (!feeds[b.past]) throw new Error(`no feed for ${b.past}`);
  return feeds;
}

/** The step's presents, renamed as the next step's past inputs. */
export function nextPast(result: AttentionResult, bindings: readonly CacheBinding[]): Feeds {
  const feeds: Feeds = {};
  for (const b of bindings) {
    const t = result.outputs[b.present];
    if (!t) throw new AttnlensError("RUN_FAILED", `the step returned no ${b.present}`);
    feeds[b.past] = new ort.Tensor(t.type as "float32", t.data as Float32Array, t.dims);
  }
  return feeds;
}

function emptyPast(dims: readonly (number | string | null)[] | null): ort.Tensor {
  // [batch, kv_heads, past_length, head_dim]: heads and head_dim are fixed numbers in optimum's exports.
  const shape = (dims ?? []).map((d, i) => (i === 0 ? 1 : i === 2 ? 0 : typeof d === "number" ? d : -1));
  if (shape.length !== 4 || shape.includes(-1)) {
    throw new AttnlensError(
      "BAD_MODEL",
      `past key/value inputs must be declared [batch, heads, past_length, head_dim] with fixed heads and head_dim (got [${(dims ?? []).join(", ")}])`,
    );
  }
  return new ort.Tensor("float32", new Float32Array(0), shape);
}

function ints(type: string, values: readonly number[], dims: number[]): ort.Tensor {
  return type === "int32"
    ? new ort.Tensor("int32", Int32Array.from(values), dims)
    : new ort.Tensor(
        "int64",
        BigInt64Array.from(values, (v) => BigInt(v)),
        dims,
      );
}
