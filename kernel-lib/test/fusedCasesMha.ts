/** MultiHeadAttention and GroupQueryAttention variants checked against onnxruntime's kernels. */
import { DataType, type NodeSpec, type ValueSpec } from "../src/graph/onnx/encode";
import {
  B,
  D,
  type FusedCase,
  f32,
  floatTensor,
  H,
  i32,
  int32Tensor,
  LENGTHS,
  N,
  oneOpModel,
  rawMask,
  S,
  weight,
} from "./fusedGraphs";

const MS = "com.microsoft";
const L = 7; // key length of cross attention

interface MhaSpec {
  name: string;
  inputs: string[];
  values: Record<string, { dims: (number | string)[]; feed: number[]; int?: number[] }>;
  attrs?: NodeSpec["attributes"];
  outputs?: string[];
  bias?: boolean;
  /** Packed input onnxruntime's CPU kernel refuses: the reference unpacks it with Gather + Reshape first. */
  unpack?: { input: string; parts: string[] };
}

function mha(spec: MhaSpec): FusedCase {
  const inputs: ValueSpec[] = [];
  const feeds: FusedCase["feeds"] = {};
  let seed = 20;
  for (const [name, v] of Object.entries(spec.values)) {
    if (v.int) {
      inputs.push(i32(name, v.dims));
      feeds[name] = int32Tensor(v.int, v.feed);
    } else {
      inputs.push(f32(name, v.dims));
      feeds[name] = floatTensor(seed++, v.feed);
    }
  }
  const outputs = spec.outputs ?? ["out"];
  const build = (nodeInputs: string[], extraNodes: NodeSpec[] = []) =>
    oneOpModel({
      extraNodes,
      node: {
        name: "mha",
        opType: "MultiHeadAttention",
        domain: MS,
        inputs: nodeInputs,
        outputs,
        attributes: { num_heads: { i: N }, ...spec.attrs },
      },
      inputs,
      outputs: outputs.filter(Boolean),
      initializers: [
        ...(spec.bias ? [weight("bias", 5, [3 * D], 0.2)] : []),
        ...(spec.unpack ? unpackConstants() : []),
      ],
    });
  const c: FusedCase = { name: spec.name, feeds, model: build(spec.inputs) };
  if (spec.unpack) {
    const { input, parts } = spec.unpack;
    const extra = parts.flatMap((part, i): NodeSpec[] => [
      {
        name: `g${i}`,
        opType: "Gather",
        inputs: [input, `idx${i}`],
        outputs: [`${part}4`],
        attributes: { axis: { i: 3 } },
      },
      { name: `r${i}`, opType: "Reshape", inputs: [`${part}4`, "bsd"], outputs: [part] },
    ]);
    const rest = spec.inputs.slice(3); // after the query/key/value slots
    const lead = parts.length === 3 ? parts : [spec.inputs[0], ...parts];
    c.reference = build([...lead, ...rest], extra);
  }
  return c;
}

function unpackConstants() {
  return [
    ...[0, 1, 2].map((i) => ({
      name: `idx${i}`,
      dataType: DataType.INT64,
      dims: [],
      data: BigInt64Array.of(BigInt(i)),
    })),
    { name: "bsd", dataType: DataType.INT64, dims: [3], data: BigInt64Array.of(0n, 0n, -1n) },
  ];
}

const bsd = (len: number | string, feedLen: number) => ({ dims: ["batch", len, D], feed: [B, feedLen, D] });

export function mhaCases(): FusedCase[] {
  const mask2d = { dims: ["batch", "kv"], feed: [B, S], int: rawMask(LENGTHS, S) };
  return [
    mha({
      name: "MHA, Q/K/V + packed bias + 2-D key padding",
      inputs: ["q", "k", "v", "bias", "m"],
      bias: true,
      values: { q: bsd("s", S), k: bsd("s", S), v: bsd("s", S), m: mask2d },
    }),
    mha({
      name: "MHA, cross attention (L ≠ S) + 1-D key lengths",
      inputs: ["q", "k", "v", "", "m"],
      values: { q: bsd("s", S), k: bsd("l", L), v: bsd("l", L), m: { dims: [B], feed: [B], int: [L, 4] } },
    }),
    mha({
      name: "MHA, unidirectional + attention_bias",
      inputs: ["q", "k", "v", "", "", "ab"],
      attrs: { unidirectional: { i: 1 } },
      values: { q: bsd("s", S), k: bsd("s", S), v: bsd("s", S), ab: { dims: [1, N, "s", "s"], feed: [1, N, S, S] } },
    }),
    mha({
      name: "MHA, packed QKV [B, L, N, 3, H]",
      inputs: ["qkv"],
      unpack: { input: "qkv", parts: ["uq", "uk", "uv"] },
      values: { qkv: { dims: ["batch", "s", N, 3, H], feed: [B, S, N, 3, H] } },
    }),
    mha({
      name: "MHA, packed KV [B, L, N, 2, H] + 3-D mask",
      inputs: ["q", "kv", "", "", "m"],
      unpack: { input: "kv", parts: ["uk", "uv"] },
      values: {
        q: bsd("s", S),
        kv: { dims: ["batch", "l", N, 2, H], feed: [B, L, N, 2, H] },
        m: { dims: ["batch", "s", "l"], feed: [B, S, L], int: rawMask([7, 6, 5, 4, 3, 7, 7, 1, 2, 3], L) },
      },
    }),
    mha({
      name: "MHA, key/value already in heads [B, N, L, H]",
      inputs: ["q", "k", "v"],
      values: {
        q: bsd("s", S),
        k: { dims: ["batch", N, "l", H], feed: [B, N, L, H] },
        v: { dims: ["batch", N, "l", H], feed: [B, N, L, H] },
      },
    }),
    mha({
      name: "MHA, past key/value + present + qk, scale",
      inputs: ["q", "k", "v", "bias", "", "", "pk", "pv"],
      bias: true,
      attrs: { unidirectional: { i: 1 }, scale: { f: 0.25 } },
      outputs: ["out", "present_k", "present_v", "qk"],
      values: {
        q: bsd("s", S),
        k: bsd("s", S),
        v: bsd("s", S),
        pk: { dims: ["batch", N, "p", H], feed: [B, N, 3, H] },
        pv: { dims: ["batch", N, "p", H], feed: [B, N, 3, H] },
      },
    }),
  ];
}

interface GqaSpec {
  name: string;
  kvHeads?: number;
  packed?: boolean;
  attrs?: NodeSpec["attributes"];
  past?: number;
  seqLen?: number;
  lengths?: number[];
  rotary?: boolean;
  headSize?: number;
}

function gqa(spec: GqaSpec): FusedCase {
  const nkv = spec.kvHeads ?? 2;
  const s = spec.seqLen ?? S;
  const past = spec.past ?? 0;
  const totals = (spec.lengths ?? [s, s]).map((l) => l + past);
  const feeds: FusedCase["feeds"] = {};
  const inputs: ValueSpec[] = [];
  const add = (name: string, dims: (number | string)[], feedDims: number[], seed: number) => {
    inputs.push(f32(name, dims));
    feeds[name] = floatTensor(seed, feedDims);
  };
  const hs = spec.headSize ?? H;
  const dq = N * hs;
  const kvd = nkv * hs;
  if (spec.packed) add("qkv", ["batch", "s", dq + 2 * kvd], [B, s, dq + 2 * kvd], 31);
  else {
    add("q", ["batch", "s", dq], [B, s, dq], 32);
    add("k", ["batch", "s", kvd], [B, s, kvd], 33);
    add("v", ["batch", "s", kvd], [B, s, kvd], 34);
  }
  if (past) {
    add("pk", ["batch", nkv, "p", hs], [B, nkv, past, hs], 35);
    add("pv", ["batch", nkv, "p", hs], [B, nkv, past, hs], 36);
  }
  inputs.push(i32("seqlens_k", ["batch"]), i32("total", [1]));
  feeds.seqlens_k = int32Tensor(
    totals.map((t) => t - 1),
    [B],
  );
  feeds.total = int32Tensor([Math.max(...totals)], [1]);
  const nodeInputs = spec.packed ? ["qkv", "", ""] : ["q", "k", "v"];
  nodeInputs.push(past ? "pk" : "", past ? "pv" : "", "seqlens_k", "total");
  const initializers = [];
  if (spec.rotary) {
    nodeInputs.push("cos", "sin");
    initializers.push(weight("cos", 40, [32, hs / 2], 1), weight("sin", 41, [32, hs / 2], 1));
  }
  return {
    name: spec.name,
    feeds,
    validRows: (b, i) => i < (spec.lengths ?? [s, s])[b],
    model: oneOpModel({
      node: {
        name: "gqa",
        opType: "GroupQueryAttention",
        domain: MS,
        inputs: nodeInputs,
        outputs: ["out", "present_k", "present_v"],
        attributes: {
          num_heads: { i: N },
          kv_num_heads: { i: nkv },
          ...spec.attrs,
          ...(spec.rotary ? { do_rotary: { i: 1 } } : {}),
        },
      },
      inputs,
      outputs: ["out", "present_k", "present_v"],
      initializers,
    }),
  };
}

export function gqaCases(): FusedCase[] {
  return [
    gqa({ name: "GQA, prompt, 4 q / 2 kv heads" }),
    gqa({ name: "GQA, packed QKV, 1 kv head", packed: true, kvHeads: 1 }),
    gqa({ name: "GQA, local window 2", attrs: { local_window_size: { i: 2 } } }),
    gqa({ name: "GQA, softcap", attrs: { softcap: { f: 1.5 } } }),
    gqa({ name: "GQA, decoding 1 token over a past of 4", past: 4, seqLen: 1 }),
    gqa({ name: "GQA, right-padded prompt", lengths: [S, 3] }),
    gqa({ name: "GQA, rotary embeddings (prompt)", rotary: true, headSize: 16 }),
    gqa({ name: "GQA, rotary embeddings (decoding over a past of 3)", rotary: true, headSize: 16, past: 3, seqLen: 1 }),
    gqa({ name: "GQA, interleaved rotary", rotary: true, headSize: 16, attrs: { rotary_interleaved: { i: 1 } } }),
  ];
}
