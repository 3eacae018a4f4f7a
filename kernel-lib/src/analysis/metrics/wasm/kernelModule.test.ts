import { execFileSync } from "node:child_process";
import { describe, expect, it, vi } from "vitest";
// @ts-expect-error: the build script is plain JavaScript, without typings
import { buildKernel, clangVersion, sourceHash } from "../../../../wasm/build.mjs";
import { KERNEL_CLANG, KERNEL_SOURCE_SHA256, KERNEL_WASM_BASE64 } from "./kernelModule";

function hasWasmLd(): boolean {
  try {
    execFileSync("wasm-ld", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const clang = clangVersion();
const canBuild = clang !== null && hasWasmLd();

describe("the committed WebAssembly kernel", () => {
  it("was built from the current C source and flags (else run node kernel-lib/wasm/build.mjs)", () => {
    expect(sourceHash()).toBe(KERNEL_SOURCE_SHA256);
  });

  it("is what a fresh build gives (needs clang and wasm-ld; CI installs them)", (ctx) => {
    if (!canBuild) ctx.skip();
    if (clang !== KERNEL_CLANG) {
      // another clang emits other (equally valid) bytes: only the same compiler can check them
      console.warn(`kernelModule.test: built by ${KERNEL_CLANG}, this machine has ${clang}; bytes not compared`);
      ctx.skip();
    }
    const { wasm } = buildKernel();
    expect(wasm.toString("base64")).toBe(KERNEL_WASM_BASE64);
  });

  it("imports one memory (shared with the pool's workers) and exports its stack pointer", () => {
    const module = new WebAssembly.Module(Buffer.from(KERNEL_WASM_BASE64, "base64"));
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
    expect(WebAssembly.Module.exports(module).map((e) => e.name)).toEqual(
      expect.arrayContaining(["scan_rows", "window_tallies", "feed_tallies", "__heap_base", "__stack_pointer"]),
    );
    // a memory that is not shared does not link: the module needs one the workers can share
    expect(
      () => new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 16 }) } }),
    ).toThrow();
  });
});

describe("without WebAssembly SIMD", () => {
  it("runs the JavaScript kernel, and refuses kernel: 'wasm' with what to do", async () => {
    vi.resetModules();
    const real = WebAssembly.validate;
    WebAssembly.validate = () => false; // what a runtime without 128-bit SIMD answers
    vi.stubEnv("ATTNLENS_NATIVE", "0"); // and no native kernel either
    try {
      const { defaultKernel } = await import("../rowAccumulators");
      const { siteMetrics } = await import("../headMetrics");
      const { designedSite } = await import("../../../testing/syntheticMaps");
      expect(defaultKernel()).toBe("js");
      const { site, mask } = designedSite("uniform", { lengths: [5, 3] });
      const result = { sites: [site], provider: "cpu", fallbacks: [], masks: { encoder: mask }, outputs: {} };
      expect(siteMetrics(result, site).heads[0].entropy).toBeCloseTo((5 * Math.log(5) + 3 * Math.log(3)) / 8, 6);
      expect(() => siteMetrics(result, site, { kernel: "wasm" })).toThrow(/no WebAssembly with 128-bit SIMD.*"js"/);
    } finally {
      WebAssembly.validate = real;
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});
