import { afterEach, beforeAll } from "vitest";
// @ts-expect-error: a JavaScript module without types
import { buildNative } from "../native/build.mjs";
import { nativeAddon } from "../src/analysis/metrics/native/nativeKernel";

/**
 * For a test file on the native kernel: builds the addon first (`npm run build` builds it, but a
 * plain `npx vitest run` on the sources may come before), and after each test puts back the
 * widest vectors the CPU has (tests set `lanes(4)` to compare with the WebAssembly kernel).
 * `widest` is known once the file's tests run.
 */
export function useNativeKernel(): { widest: number } {
  const state = { widest: 4 };
  beforeAll(() => {
    const built = buildNative();
    if (built.skipped) throw new Error(`the native kernel could not be built here: ${built.skipped}`);
    state.widest = nativeAddon()?.lanes() ?? 4;
  }, 120_000);
  afterEach(() => {
    nativeAddon()?.lanes(state.widest);
  });
  return state;
}
