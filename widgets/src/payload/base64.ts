/**
 * Base64 (RFC 4648, padded) for byte arrays, the same in browsers and Node. Works on typed arrays
 * (4 characters ↔ 3 bytes per step) and decodes the ASCII text with TextDecoder: megabyte maps
 * take milliseconds, without atob/btoa binary-string copies.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
// Indexed by UTF-16 code unit, so any character outside the alphabet maps to 255.
const LOOKUP = new Uint8Array(65536).fill(255);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;
const ascii = new TextDecoder("ascii");

export function encodeBase64(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  const whole = n - (n % 3);
  let o = 0;
  for (let i = 0; i < whole; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o++] = CODES[v >> 18];
    out[o++] = CODES[(v >> 12) & 63];
    out[o++] = CODES[(v >> 6) & 63];
    out[o++] = CODES[v & 63];
  }
  if (n > whole) {
    const v = (bytes[whole] << 16) | (n - whole === 2 ? bytes[whole + 1] << 8 : 0);
    out[o++] = CODES[v >> 18];
    out[o++] = CODES[(v >> 12) & 63];
    out[o++] = n - whole === 2 ? CODES[(v >> 6) & 63] : 61;
    out[o++] = 61;
  }
  return ascii.decode(out);
}

export function decodeBase64(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  const bad = (i: number) => new Error(`attnlens payload: invalid base64 character at ${i}`);
  const full = end - (end % 4);
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const a = LOOKUP[text.charCodeAt(i)];
    const b = LOOKUP[text.charCodeAt(i + 1)];
    const c = LOOKUP[text.charCodeAt(i + 2)];
    const d = LOOKUP[text.charCodeAt(i + 3)];
    if ((a | b | c | d) > 63) throw bad(i);
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  let acc = 0;
  let bits = 0;
  for (let i = full; i < end; i++) {
    const v = LOOKUP[text.charCodeAt(i)];
    if (v > 63) throw bad(i);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
  }
  return out;
}
