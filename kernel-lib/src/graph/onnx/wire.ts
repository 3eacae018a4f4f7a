/**
 * Protocol-buffers wire format, just enough of it for ONNX ModelProto.
 *
 * attnlens decodes models itself instead of generating a full protobuf binding: it only
 * needs the graph's structure (nodes, value names, small constants), and reading lazily lets a
 * 400 MB model be inspected without copying its weights (initializer data stays a view).
 */

export enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
}

/** Raised for bytes that are not a well-formed protobuf message. */
export class ProtoError extends Error {}

const TWO_32 = 4294967296;

export class ProtoReader {
  pos: number;
  readonly end: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a varint as two 32-bit halves so 64-bit values (and negative int64) stay exact up to 2^53. */
  varint(): number {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoError("truncated varint");
      const b = this.buf[this.pos++];
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      shift += 7;
      if ((b & 0x80) === 0) {
        lo >>>= 0;
        if (hi & 0x80000000) {
          // Two's-complement negative int64 (protobuf writes these as 10-byte varints).
          return -((~hi >>> 0) * TWO_32 + (~lo >>> 0) + 1);
        }
        return (hi >>> 0) * TWO_32 + lo;
      }
    }
    throw new ProtoError("malformed varint (more than 10 bytes)");
  }

  /** Reads a field key; returns [fieldNumber, wireType]. */
  tag(): [number, WireType] {
    const key = this.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (!(field >= 1 && field <= 0x1fffffff)) throw new ProtoError(`invalid field number ${field}`);
    if (wire > 5) throw new ProtoError(`invalid wire type ${wire}`);
    return [field, wire as WireType];
  }

  /** Returns [start, end) of a length-delimited payload and moves past it. */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    const end = start + len;
    if (len < 0 || end > this.end) throw new ProtoError("truncated length-delimited field");
    this.pos = end;
    return [start, end];
  }

  bytes(): Uint8Array {
    const [s, e] = this.span();
    return this.buf.subarray(s, e);
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  float32(): number {
    if (this.pos + 4 > this.end) throw new ProtoError("truncated fixed32");
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  skip(wire: WireType): void {
    switch (wire) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.Fixed64:
        this.pos += 8;
        break;
      case WireType.LengthDelimited:
        this.span();
        return;
      case WireType.Fixed32:
        this.pos += 4;
        break;
      default:
        throw new ProtoError(`unsupported wire type ${wire} (groups are not used by ONNX)`);
    }
    if (this.pos > this.end) throw new ProtoError("truncated fixed-width field");
  }

  /** Reads a repeated varint field that may be packed (LEN) or not (one varint). */
  varints(wire: WireType, into: number[]): void {
    if (wire === WireType.LengthDelimited) {
      const [s, e] = this.span();
      const r = new ProtoReader(this.buf, s, e);
      while (!r.done) into.push(r.varint());
      return;
    }
    if (wire !== WireType.Varint) throw new ProtoError(`repeated varint field has wire type ${wire}`);
    into.push(this.varint());
  }

  /** Reads a repeated float field that may be packed or not. */
  floats(wire: WireType, into: number[]): void {
    if (wire === WireType.LengthDelimited) {
      const [s, e] = this.span();
      const r = new ProtoReader(this.buf, s, e);
      while (!r.done) into.push(r.float32());
      return;
    }
    if (wire !== WireType.Fixed32) throw new ProtoError(`repeated float field has wire type ${wire}`);
    into.push(this.float32());
  }
}

export const utf8 = new TextDecoder("utf-8");
const utf8Encoder = new TextEncoder();

/** Builds protobuf bytes; nested messages are written as finished byte arrays. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];
  length = 0;

  private flushScratch(): void {
    if (this.scratch.length) {
      const b = Uint8Array.from(this.scratch);
      this.chunks.push(b);
      this.length += b.length;
      this.scratch = [];
    }
  }

  varint(v: number): this {
    if (v < 0) {
      // Negative int64: 10-byte two's complement.
      const hi = Math.floor(v / TWO_32);
      const lo = v - hi * TWO_32;
      let l = lo >>> 0;
      let h = hi >>> 0;
      for (let i = 0; i < 9; i++) {
        this.scratch.push((l & 0x7f) | 0x80);
        l = (l >>> 7) | ((h & 0x7f) << 25);
        h >>>= 7;
      }
      this.scratch.push(l & 0x01);
      return this;
    }
    while (v >= 0x80) {
      this.scratch.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.scratch.push(v);
    return this;
  }

  tag(field: number, wire: WireType): this {
    return this.varint(field * 8 + wire);
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WireType.LengthDelimited).varint(data.length);
    this.flushScratch();
    this.chunks.push(data);
    this.length += data.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, utf8Encoder.encode(s));
  }

  int(field: number, v: number): this {
    return this.tag(field, WireType.Varint).varint(v);
  }

  float(field: number, v: number): this {
    this.tag(field, WireType.Fixed32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    for (const x of b) this.scratch.push(x);
    return this;
  }

  packedVarints(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: readonly number[]): this {
    const b = new Uint8Array(values.length * 4);
    const dv = new DataView(b.buffer);
    values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /**
   * Writes `inner` as a length-delimited field without finishing it first: its chunks (often
   * views into a source model) are joined once, by this writer's finish, not twice.
   */
  nested(field: number, inner: ProtoWriter): this {
    inner.flushScratch();
    this.tag(field, WireType.LengthDelimited).varint(inner.length);
    this.flushScratch();
    for (const c of inner.chunks) this.chunks.push(c);
    this.length += inner.length;
    return this;
  }

  /** Appends already-encoded bytes verbatim (e.g. fields copied from the source model). */
  raw(data: Uint8Array): this {
    this.flushScratch();
    this.chunks.push(data);
    this.length += data.length;
    return this;
  }

  /**
   * Joins the chunks inside `arena`, the buffer that holds the source model they view, instead of
   * a new buffer: every chunk moves left (copyWithin) or is written where nothing still to be
   * copied lies, so the edit needs no second copy of the model. Returns the joined bytes (a view
   * of arena), or null when the arena has no room for that; the caller then uses finish().
   */
  finishInPlace(arena: Uint8Array): Uint8Array | null {
    this.flushScratch();
    const from = (c: Uint8Array) =>
      c.buffer === arena.buffer &&
      c.byteOffset >= arena.byteOffset &&
      c.byteOffset + c.length <= arena.byteOffset + arena.length
        ? c.byteOffset - arena.byteOffset
        : -1;
    // Start as far right as every viewed chunk allows (its destination ≤ its source), keeping room in front for later edits.
    let start = Number.POSITIVE_INFINITY;
    let at = 0;
    for (const c of this.chunks) {
      if (from(c) >= 0) start = Math.min(start, from(c) - at);
      at += c.length;
    }
    if (!Number.isFinite(start) || start < 0 || start + this.length > arena.length) return null;
    at = start;
    for (const c of this.chunks) {
      const src = from(c);
      if (src >= 0) arena.copyWithin(at, src, src + c.length);
      else arena.set(c, at);
      at += c.length;
    }
    this.chunks = [];
    return arena.subarray(start, start + this.length);
  }

  finish(): Uint8Array {
    this.flushScratch();
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
