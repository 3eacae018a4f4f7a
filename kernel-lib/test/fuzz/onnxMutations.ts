/**
 * Seeded mutations of ONNX model bytes for the reader's fuzz test: blind bit flips and truncation,
 * corruption aimed at the protobuf structure (field keys, length prefixes, varints), and
 * malformed initializers (bad dims, raw_data of the wrong length, truncated double_data, external
 * data pointing out of the directory) spliced into an otherwise valid model. Each mutation returns
 * the bytes and a description that, with the seed, reproduces it.
 */
import { decodeModel, readTensor } from "../../src/graph/onnx/decode";
import { GraphField, ModelField } from "../../src/graph/onnx/schema";
import { ProtoReader, ProtoWriter, WireType } from "../../src/graph/onnx/wire";

export interface Mutant {
  bytes: Uint8Array;
  what: string;
}

type Rand = () => number;
const int = (rand: Rand, n: number) => Math.floor(rand() * n);

/** One protobuf field found by walking the bytes: where its key, value and payload are. */
interface FieldSpot {
  keyStart: number;
  valueStart: number;
  valueEnd: number;
  wire: WireType;
}

/** Walks nested messages heuristically: a length-delimited payload that parses as a message is walked too. */
export function fieldSpots(
  buf: Uint8Array,
  start = 0,
  end = buf.length,
  depth = 0,
  out: FieldSpot[] = [],
): FieldSpot[] {
  const r = new ProtoReader(buf, start, end);
  const found: FieldSpot[] = [];
  try {
    while (!r.done) {
      const keyStart = r.pos;
      const [, wire] = r.tag();
      const valueStart = r.pos;
      r.skip(wire);
      found.push({ keyStart, valueStart, valueEnd: r.pos, wire });
    }
  } catch {
    return out; // not a message: its bytes are data
  }
  for (const f of found) {
    out.push(f);
    if (f.wire === WireType.LengthDelimited && depth < 6) {
      const inner = new ProtoReader(buf, f.valueStart, f.valueEnd);
      const [s, e] = inner.span();
      if (e > s) fieldSpots(buf, s, e, depth + 1, out);
    }
  }
  return out;
}

/** A varint of exactly `width` bytes (protobuf accepts padded encodings). */
function paddedVarint(value: number, width: number): number[] {
  const out: number[] = [];
  let v = value;
  for (let i = 0; i < width; i++) {
    out.push((v % 128) | (i < width - 1 ? 0x80 : 0));
    v = Math.floor(v / 128);
  }
  return out;
}

function varintWidth(buf: Uint8Array, pos: number): number {
  let w = 1;
  while (buf[pos + w - 1] & 0x80 && w < 10) w++;
  return w;
}

const blind = {
  bitFlip(bytes: Uint8Array, rand: Rand): Mutant {
    const out = bytes.slice();
    const pos = int(rand, out.length);
    const bit = int(rand, 8);
    out[pos] ^= 1 << bit;
    return { bytes: out, what: `flip bit ${bit} of byte ${pos}` };
  },
  truncate(bytes: Uint8Array, rand: Rand): Mutant {
    const len = int(rand, bytes.length);
    return { bytes: bytes.slice(0, len), what: `truncate to ${len} bytes` };
  },
};

const structural = {
  keyFlip(bytes: Uint8Array, rand: Rand, spots: FieldSpot[]): Mutant {
    const f = spots[int(rand, spots.length)];
    const out = bytes.slice();
    const bit = int(rand, 8);
    out[f.keyStart] ^= 1 << bit;
    return { bytes: out, what: `flip bit ${bit} of the field key at byte ${f.keyStart}` };
  },
  length(bytes: Uint8Array, rand: Rand, spots: FieldSpot[]): Mutant {
    const lens = spots.filter((s) => s.wire === WireType.LengthDelimited);
    const f = lens[int(rand, lens.length)];
    const width = varintWidth(bytes, f.valueStart);
    const value = int(rand, 2 ** Math.min(7 * width, 40));
    const out = bytes.slice();
    out.set(paddedVarint(value, width), f.valueStart);
    return { bytes: out, what: `set the length prefix at byte ${f.valueStart} to ${value}` };
  },
  varint(bytes: Uint8Array, rand: Rand, spots: FieldSpot[]): Mutant {
    const vs = spots.filter((s) => s.wire === WireType.Varint);
    const f = vs[int(rand, vs.length)];
    const width = f.valueEnd - f.valueStart;
    const out = bytes.slice();
    if (rand() < 0.3) {
      // Continuation bits everywhere: the varint runs into the next field.
      for (let p = f.valueStart; p < f.valueEnd; p++) out[p] |= 0x80;
      return { bytes: out, what: `set the continuation bits of the varint at byte ${f.valueStart}` };
    }
    const value = int(rand, 2 ** Math.min(7 * width, 40));
    out.set(paddedVarint(value, width), f.valueStart);
    return { bytes: out, what: `set the varint at byte ${f.valueStart} to ${value}` };
  },
};

/** Replaces the graph's `index`-th initializer with `tensor` (protobuf bytes), fixing both enclosing lengths. */
function withInitializer(bytes: Uint8Array, index: number, tensor: Uint8Array): Uint8Array {
  const model = decodeModel(bytes);
  const [graphKey, gs, ge] = model.graphField;
  const r = new ProtoReader(bytes, gs, ge);
  const graph = new ProtoWriter();
  let seen = 0;
  while (!r.done) {
    const keyStart = r.pos;
    const [field, wire] = r.tag();
    r.skip(wire);
    if (field === GraphField.initializer && seen++ === index) continue; // dropped here, appended last
    graph.raw(bytes.subarray(keyStart, r.pos));
  }
  // The replacement goes last in the graph, and the graph last in the file: a tensor cut short
  // (with lengths that agree) then ends the file, as a truncated download would.
  graph.bytes(GraphField.initializer, tensor);
  return new ProtoWriter()
    .raw(bytes.subarray(0, graphKey))
    .raw(bytes.subarray(ge))
    .bytes(ModelField.graph, graph.finish())
    .finish();
}

interface Initializer {
  index: number;
  name: string;
  dataType: number;
  dims: number[];
  raw: Uint8Array;
}

/** The model's small initializers with raw_data (shape constants, scales: what graph analysis reads). */
export function smallInitializers(bytes: Uint8Array): Initializer[] {
  const model = decodeModel(bytes);
  const [, gs, ge] = model.graphField;
  const r = new ProtoReader(bytes, gs, ge);
  const out: Initializer[] = [];
  let index = 0;
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field !== GraphField.initializer || wire !== WireType.LengthDelimited) {
      r.skip(wire);
      continue;
    }
    const [s, e] = r.span();
    const t = readTensor(bytes, s, e);
    if (t.raw && t.raw.length <= 256) out.push({ index, name: t.name, dataType: t.dataType, dims: t.dims, raw: t.raw });
    index++;
  }
  return out;
}

function tensorBytes(
  t: { name: string; dataType: number; dims: number[]; raw?: Uint8Array },
  extra?: (w: ProtoWriter) => void,
): Uint8Array {
  const w = new ProtoWriter().packedVarints(1, t.dims).int(2, t.dataType).string(8, t.name);
  if (t.raw) w.bytes(9, t.raw);
  extra?.(w);
  return w.finish();
}

const tensorMutations = {
  negativeDim(t: Initializer, rand: Rand) {
    const dims = t.dims.length ? [...t.dims] : [1];
    const k = int(rand, dims.length);
    dims[k] = -1 - int(rand, 5);
    return { tensor: tensorBytes({ ...t, dims }), what: `dims [${dims}]` };
  },
  hugeDim(t: Initializer, rand: Rand) {
    const dims = [...t.dims, 2 ** (20 + int(rand, 33))];
    return { tensor: tensorBytes({ ...t, dims }), what: `dims [${dims}]` };
  },
  shortRaw(t: Initializer, rand: Rand) {
    const raw = t.raw.subarray(0, int(rand, t.raw.length));
    return { tensor: tensorBytes({ ...t, raw }), what: `raw_data cut to ${raw.length} of ${t.raw.length} bytes` };
  },
  longerDims(t: Initializer, rand: Rand) {
    const dims = t.dims.length ? t.dims.map((d, i) => (i === 0 ? d * (2 + int(rand, 3)) : d)) : [3];
    return { tensor: tensorBytes({ ...t, dims }), what: `dims [${dims}] for ${t.raw.length} bytes of raw_data` };
  },
  otherType(t: Initializer, rand: Rand) {
    const dataType = [1, 2, 3, 6, 7, 9, 10, 11, 13, 0, 8, 99][int(rand, 12)];
    return { tensor: tensorBytes({ ...t, dataType }), what: `data_type ${dataType} for ${t.raw.length} bytes` };
  },
  doubles(t: Initializer, rand: Rand) {
    // double_data written unpacked (fixed64): fewer values than the dims, or the last one cut short.
    const n = Math.max(
      1,
      t.dims.reduce((a, b) => a * b, 1),
    );
    const cut = rand() < 0.5;
    const count = cut ? n : Math.max(0, n - 1 - int(rand, n));
    const base = tensorBytes({ name: t.name, dataType: 11, dims: t.dims.length ? t.dims : [1] }, (w) => {
      for (let i = 0; i < count; i++) {
        w.tag(10, WireType.Fixed64);
        w.raw(new Uint8Array(8).fill(i + 1));
      }
    });
    if (!cut) return { tensor: base, what: `${count} unpacked double_data values for dims [${t.dims}]` };
    const keep = base.length - 1 - int(rand, 7);
    return {
      tensor: base.subarray(0, keep),
      what: `double_data cut ${base.length - keep} bytes before its end`,
    };
  },
  external(t: Initializer, rand: Rand) {
    const location = ["../../etc/passwd", "/etc/passwd", "", "weights.bin"][int(rand, 4)];
    const offset = ["-4", "x", "1e99", "0"][int(rand, 4)];
    const tensor = tensorBytes({ name: t.name, dataType: t.dataType, dims: t.dims }, (w) => {
      w.message(13, (kv) => kv.string(1, "location").string(2, location));
      w.message(13, (kv) => kv.string(1, "offset").string(2, offset));
      w.int(14, 1);
    });
    return { tensor, what: `external data "${location}" at offset ${offset}` };
  },
};

export const MUTATIONS = [...Object.keys(blind), ...Object.keys(structural), ...Object.keys(tensorMutations)] as const;

/** The `i`-th mutant of `bytes` for a seeded generator: the kind and its parameters come from `rand`. */
export function mutate(bytes: Uint8Array, rand: Rand, spots: FieldSpot[], initializers: Initializer[]): Mutant {
  const kind = MUTATIONS[int(rand, MUTATIONS.length)];
  if (kind in blind) return blind[kind as keyof typeof blind](bytes, rand);
  if (kind in structural) return structural[kind as keyof typeof structural](bytes, rand, spots);
  const t = initializers[int(rand, initializers.length)];
  const m = tensorMutations[kind as keyof typeof tensorMutations](t, rand);
  return { bytes: withInitializer(bytes, t.index, m.tensor), what: `initializer "${t.name}": ${m.what}` };
}
