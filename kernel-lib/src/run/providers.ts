/**
 * Execution providers: which to try, in what order, and cheap checks that tell a provider
 * cannot work before onnxruntime is asked (onnxruntime-node throws, rather than falling back,
 * on a provider whose libraries are missing, and logs loudly while doing so).
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { AttnlensError } from "../errors";

/** Providers onnxruntime-node can be built with. */
export const KNOWN_PROVIDERS = ["cuda", "webgpu", "cpu", "tensorrt", "dml", "coreml", "qnn"] as const;
/** An onnxruntime execution provider name, lower case (`cuda`, `webgpu`, `cpu`, …). */
export type ProviderName = (typeof KNOWN_PROVIDERS)[number];

/** GPU first, then the portable GPU path, then the CPU, which always works. */
export const DEFAULT_PROVIDERS: ProviderName[] = ["cuda", "webgpu", "cpu"];

export function normalizeProviders(list: readonly string[] | undefined): ProviderName[] {
  if (!list || list.length === 0) return [...DEFAULT_PROVIDERS];
  const out: ProviderName[] = [];
  for (const raw of list) {
    const p = raw.trim().toLowerCase();
    if (!(KNOWN_PROVIDERS as readonly string[]).includes(p)) {
      throw new AttnlensError(
        "BAD_PROVIDER",
        `unknown execution provider "${raw}": choose from ${KNOWN_PROVIDERS.join(", ")} (e.g. providers: ["cuda", "cpu"])`,
      );
    }
    if (!out.includes(p as ProviderName)) out.push(p as ProviderName);
  }
  return out;
}

/** Directory holding onnxruntime-node's native libraries for this platform. */
function ortBinaryDir(): string | null {
  try {
    const pkg = require.resolve("onnxruntime-node/package.json");
    return path.join(path.dirname(pkg), "bin", "napi-v6", process.platform, process.arch);
  } catch {
    return null;
  }
}

/** Why a provider cannot work here, or null when it is worth trying. */
export function providerUnavailableReason(p: ProviderName): string | null {
  const dir = ortBinaryDir();
  switch (p) {
    case "cpu":
      return null;
    case "cuda":
    case "tensorrt": {
      if (process.platform !== "linux" && process.platform !== "win32")
        return `${p} is not built for ${process.platform}`;
      const lib = process.platform === "win32" ? `onnxruntime_providers_${p}.dll` : `libonnxruntime_providers_${p}.so`;
      if (dir && !existsSync(path.join(dir, lib))) {
        return (
          `the ${p} provider library (${lib}) is not installed; onnxruntime-node ships it separately: ` +
          "run `node node_modules/onnxruntime-node/script/install --onnxruntime-node-install=cuda12` on a machine with CUDA 12"
        );
      }
      return null;
    }
    case "webgpu":
      if (process.platform === "linux" && !hasVulkanLoader()) {
        return "no Vulkan loader (libvulkan.so.1) on this machine, which WebGPU needs on Linux: install libvulkan1 and a GPU driver";
      }
      return null;
    case "dml":
      return process.platform === "win32" ? null : "DirectML runs only on Windows";
    case "coreml":
      return process.platform === "darwin" ? null : "CoreML runs only on macOS";
    case "qnn":
      return null;
  }
}

function hasVulkanLoader(): boolean {
  const dirs = [
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/lib/x86_64-linux-gnu",
    "/usr/local/lib",
  ];
  for (const d of (process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean).concat(dirs)) {
    if (existsSync(path.join(d, "libvulkan.so.1"))) return true;
  }
  try {
    return readFileSync("/etc/ld.so.cache").includes("libvulkan.so.1");
  } catch {
    return false;
  }
}
