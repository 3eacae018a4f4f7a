/** IEEE 754 half precision → float32, for maps stored as float16 (one table lookup). */

const TABLE = new Float32Array(65536);
for (let h = 0; h < 65536; h++) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) TABLE[h] = sign * mant * 2 ** -24;
  else if (exp === 0x1f) TABLE[h] = mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  else TABLE[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function fromHalf(bits: number): number {
  return TABLE[bits & 0xffff];
}
