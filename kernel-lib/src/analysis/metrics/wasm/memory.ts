/**
 * What every user of a WebAssembly module's linear memory here needs: the memory's type (kernel-lib
 * compiles without the DOM typings), its page size, 16-byte alignment for SIMD loads, and growing
 * it to hold a given end.
 */

/** The part of the WebAssembly API's Memory used here. */
export interface WasmMemory {
  buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

/** Bytes in a WebAssembly memory page. */
export const PAGE = 65536;

/** `n` rounded up to a multiple of 16 (the SIMD loads' alignment). */
export const align16 = (n: number) => (n + 15) & ~15;

/** Grows `memory` until it holds byte offset `end` (views on it must be made again after). */
export function growTo(memory: WasmMemory, end: number): void {
  const have = memory.buffer.byteLength;
  if (end > have) memory.grow(Math.ceil((end - have) / PAGE));
}
