/**
 * Feeds: checking what the caller passes against the inputs the model declares, so a wrong name,
 * type or rank fails with the list of what the model expects instead of an onnxruntime trace.
 */
import * as ort from "onnxruntime-node";
import { AttnlensError } from "../errors";
import type { ValueInfo } from "../graph/onnx/model";
import { dataTypeName } from "../graph/onnx/schema";

/** Model inputs: onnxruntime tensors by input name (`input_ids`, `attention_mask`, …). */
export type Feeds = Record<string, ort.Tensor>;

/** One input as the model declares it: `input_ids: int64 [batch_size, sequence_length]`. */
export interface InputSpec {
  name: string;
  type: string;
  dims: (number | string | null)[] | null;
}

export function inputSpecs(inputs: readonly ValueInfo[]): InputSpec[] {
  return inputs.map((v) => ({ name: v.name, type: dataTypeName(v.elemType), dims: v.shape }));
}

export function describeInput(s: InputSpec): string {
  const dims = s.dims ? `[${s.dims.map((d) => (d == null ? "?" : d)).join(", ")}]` : "[?]";
  return `${s.name}: ${s.type} ${dims}`;
}

function expectedList(specs: readonly InputSpec[]): string {
  return specs.map((s) => `  ${describeInput(s)}`).join("\n");
}

export function validateFeeds(specs: readonly InputSpec[], feeds: Feeds): void {
  const problems: string[] = [];
  const names = new Set(specs.map((s) => s.name));
  for (const s of specs) {
    const t = feeds[s.name];
    if (!t) {
      problems.push(`missing input "${s.name}"`);
      continue;
    }
    if (!(t instanceof ort.Tensor) && !(typeof t === "object" && "dims" in t && "type" in t)) {
      problems.push(`input "${s.name}" is not an onnxruntime Tensor`);
      continue;
    }
    if (s.type !== "unknown" && t.type !== s.type)
      problems.push(`input "${s.name}" is ${t.type} but the model expects ${s.type}`);
    if (s.dims) {
      if (t.dims.length !== s.dims.length) {
        problems.push(
          `input "${s.name}" has ${t.dims.length} dims [${t.dims.join(", ")}] but the model expects ${s.dims.length}`,
        );
      } else {
        s.dims.forEach((d, i) => {
          if (typeof d === "number" && d > 0 && t.dims[i] !== d) {
            problems.push(`input "${s.name}" dim ${i} is ${t.dims[i]} but the model fixes it at ${d}`);
          }
        });
      }
    }
  }
  for (const k of Object.keys(feeds)) if (!names.has(k)) problems.push(`unknown input "${k}"`);
  if (problems.length) {
    throw new AttnlensError(
      "BAD_FEEDS",
      `${problems.join("; ")}\nthe model expects these inputs:\n${expectedList(specs)}`,
    );
  }
}

/** A feed written as JSON (the CLI's FEEDS.json): `{"type": "int64", "dims": [1, 4], "data": [...]}`. */
export interface JsonFeed {
  type: string;
  dims: number[];
  data: (number | boolean)[];
}

/**
 * Builds a tensor from its JSON form `{type, dims, data}` (int64 data as numbers or strings), checking that
 * `data` fills `dims`.
 */
export function tensorFromJson(name: string, f: JsonFeed): ort.Tensor {
  if (!f || !Array.isArray(f.dims) || !Array.isArray(f.data) || typeof f.type !== "string") {
    throw new AttnlensError("BAD_FEEDS", `feed "${name}" must be {"type": ..., "dims": [...], "data": [...]}`);
  }
  const n = f.dims.reduce((a, b) => a * b, 1);
  if (n !== f.data.length) {
    throw new AttnlensError(
      "BAD_FEEDS",
      `feed "${name}" has ${f.data.length} values but dims [${f.dims.join(", ")}] need ${n}`,
    );
  }
  switch (f.type) {
    case "int64":
      return new ort.Tensor(
        "int64",
        BigInt64Array.from(f.data, (v) => BigInt(Math.trunc(Number(v)))),
        f.dims,
      );
    case "int32":
      return new ort.Tensor("int32", Int32Array.from(f.data, Number), f.dims);
    case "float32":
      return new ort.Tensor("float32", Float32Array.from(f.data, Number), f.dims);
    case "bool":
      return new ort.Tensor(
        "bool",
        Uint8Array.from(f.data, (v) => (v ? 1 : 0)),
        f.dims,
      );
    default:
      throw new AttnlensError("BAD_FEEDS", `feed "${name}" has type "${f.type}": use int64, int32, float32 or bool`);
  }
}

/** The batch size of a run: the leading dim of the first token-like input of rank ≥ 2. */
export function batchSize(feeds: Feeds): number | null {
  const preferred = ["input_ids", "decoder_input_ids", "input_features", "pixel_values", "inputs_embeds"];
  for (const name of preferred) if (feeds[name]?.dims.length >= 2) return feeds[name].dims[0];
  for (const t of Object.values(feeds)) if (t.dims.length >= 2) return t.dims[0];
  return null;
}
