// What the GPU machine has, and the environment each provider's worker gets: the NVIDIA GPU
// (nvidia-smi), a Vulkan loader and driver for WebGPU, and the CUDA 12 path (onnxruntime-node's
// CUDA provider libraries beside libonnxruntime.so.1, plus CUDA 12 / cuDNN 9 on the library path).
// Nothing here fails: every missing piece becomes a reason in the report.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Shared libraries onnxruntime 1.30's CUDA provider needs from a CUDA 12 / cuDNN 9 install. */
export const CUDA12_LIBS = [
  "libcudart.so.12",
  "libcublas.so.12",
  "libcublasLt.so.12",
  "libcufft.so.11",
  "libcurand.so.10",
  "libcudnn.so.9",
];
const CUDA_PROVIDER_LIBS = ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"];
const NVIDIA_DRIVER_DIRS = ["/usr/local/nvidia/lib64", "/usr/local/nvidia/lib"];
const ICD_DIRS = ["/etc/vulkan/icd.d", "/usr/share/vulkan/icd.d", "/usr/local/share/vulkan/icd.d"];
const NVIDIA_ICDS = [
  "/usr/local/nvidia/share/vulkan/icd.d",
  "/usr/local/nvidia/icd.d",
  "/usr/local/nvidia/vulkan/icd.d",
];

/**
 * Probes the machine. `ortDir`: the unpacked onnxruntime-node binary folder (CUDA provider
 * libraries found elsewhere are linked into it, where onnxruntime looks for them); `libs`: the
 * bundle's lib/ (Vulkan loader).
 */
export function probe({ ortDir, libs }) {
  const ldcache = ldconfigMap();
  const baseLd = (process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean);
  const driverDirs = NVIDIA_DRIVER_DIRS.filter((d) => fs.existsSync(d));
  const machine = {
    os: osName(),
    kernel: os.release(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model?.trim() ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    gpu: nvidiaSmi(),
    libcuda: ldcache.get("libcuda.so.1") ?? findIn("libcuda.so.1", [...baseLd, ...driverDirs]) ?? null,
  };

  // WebGPU: Dawn dlopens libvulkan.so.1, which reads driver manifests (ICDs).
  const useDir = path.join(libs, "use");
  fs.mkdirSync(useDir, { recursive: true });
  const vulkanLibs = {};
  for (const name of fs.readdirSync(libs).filter((f) => f.endsWith(".so.0") || f.endsWith(".so.1"))) {
    const sys = ldcache.get(name);
    vulkanLibs[name] = sys ? `system ${sys}` : "bundled";
    if (!sys) linkInto(useDir, path.join(libs, name));
  }
  const vkEnv = {};
  const ld = [useDir, ...driverDirs.filter((d) => !baseLd.includes(d)), ...baseLd];
  let icd;
  if (process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES) {
    icd = { files: process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES, source: "set by the caller" };
  } else {
    const standard = jsonFiles(ICD_DIRS);
    const nvidia = jsonFiles(NVIDIA_ICDS);
    if (standard.length > 0) icd = { files: standard.join(":"), source: "standard folders" };
    else if (nvidia.length > 0) {
      icd = { files: nvidia.join(":"), source: "NVIDIA driver folder (VK_DRIVER_FILES set)" };
      vkEnv.VK_DRIVER_FILES = icd.files; // loader ≥ 1.3.207
      vkEnv.VK_ICD_FILENAMES = icd.files; // older loaders
    } else icd = { files: "", source: `no Vulkan driver manifest in ${[...ICD_DIRS, ...NVIDIA_ICDS].join(", ")}` };
  }
  const webgpuEnv = { ...vkEnv, LD_LIBRARY_PATH: ld.join(":") };
  const vulkan = { libraries: vulkanLibs, icd, vulkaninfo: vulkaninfo({ ...process.env, ...webgpuEnv }) };

  const cuda = cudaPath({ ortDir, ldcache, baseLd, driverDirs, libcuda: machine.libcuda });
  return {
    machine,
    vulkan,
    cuda,
    env: { cpu: {}, webgpu: webgpuEnv, cuda: cuda.env },
    skip: cuda.ready ? {} : { cuda: cuda.reason },
  };
}

/** The CUDA provider's files and the CUDA 12 libraries, and why the provider cannot be tried when it cannot. */
function cudaPath({ ortDir, ldcache, baseLd, driverDirs, libcuda }) {
  const out = { providerLibs: null, libraries: {}, ready: false, reason: "", env: {} };
  const candidates = [];
  if (process.env.ORT_CUDA_PROVIDER_DIR)
    candidates.push({ dir: process.env.ORT_CUDA_PROVIDER_DIR, source: "ORT_CUDA_PROVIDER_DIR" });
  candidates.push({ dir: ortDir, source: "the bundle" });
  const py = pythonOrt();
  if (py) candidates.push({ dir: py.dir, source: `python onnxruntime ${py.version} (${py.dir})`, version: py.version });
  const found = candidates.find((c) => CUDA_PROVIDER_LIBS.every((f) => fs.existsSync(path.join(c.dir, f))));
  const searchDirs = [
    ...baseLd,
    ...driverDirs,
    ...expand("/usr/local/cuda-12*/lib64"),
    "/usr/local/cuda/lib64",
    ...expand("/usr/local/cuda-12*/targets/x86_64-linux/lib"),
    ...sitePackages().flatMap((s) => expand(path.join(s, "nvidia", "*", "lib"))),
    ...(process.env.ATTNLENS_CUDA_LIB_DIRS ?? "").split(":").filter(Boolean),
  ];
  const dirs = new Set();
  for (const so of CUDA12_LIBS) {
    const hit = ldcache.get(so) ?? findIn(so, searchDirs);
    out.libraries[so] = hit ?? null;
    if (hit && !ldcache.get(so)) dirs.add(path.dirname(hit));
  }
  const missing = CUDA12_LIBS.filter((so) => !out.libraries[so]);
  out.env = { LD_LIBRARY_PATH: [...dirs, ...driverDirs, ...baseLd].join(":") };
  if (!libcuda) {
    out.reason = "no NVIDIA driver library (libcuda.so.1)";
    return out;
  }
  if (!found) {
    out.reason =
      "onnxruntime-node's CUDA provider (libonnxruntime_providers_cuda.so + _shared.so, hundreds of MB, too big for the bundle) " +
      "is not here: put them in a folder named by ORT_CUDA_PROVIDER_DIR (docs/gpu-check.md)";
    return out;
  }
  if (found.version && !found.version.startsWith("1.30.")) {
    out.reason = `the CUDA provider found in ${found.source} is not 1.30.x, the version of onnxruntime-node`;
    return out;
  }
  for (const f of CUDA_PROVIDER_LIBS) {
    if (path.resolve(found.dir) !== path.resolve(ortDir)) linkInto(ortDir, path.join(found.dir, f));
  }
  out.providerLibs = found.source;
  if (missing.length > 0) {
    out.reason = `CUDA 12 / cuDNN 9 libraries not found: ${missing.join(", ")} (searched the loader cache, LD_LIBRARY_PATH, /usr/local/cuda-12*, Python's nvidia-* wheels, ATTNLENS_CUDA_LIB_DIRS)`;
    return out;
  }
  // The provider's own view: anything it links that the loader cannot find.
  const ldd = spawnSync("ldd", [path.join(ortDir, "libonnxruntime_providers_cuda.so")], {
    encoding: "utf8",
    env: { ...process.env, ...out.env },
    timeout: 10_000,
  });
  const notFound = (ldd.stdout ?? "")
    .split("\n")
    .filter((l) => l.includes("not found"))
    .map((l) => l.trim().split(" ")[0]);
  if (notFound.length > 0) {
    out.reason = `the CUDA provider links libraries not found here: ${notFound.join(", ")}`;
    return out;
  }
  out.ready = true;
  return out;
}

function nvidiaSmi() {
  const r = spawnSync("nvidia-smi", ["--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"], {
    encoding: "utf8",
    timeout: 20_000,
  });
  if (r.error) return { found: false, text: `no nvidia-smi (${r.error.code ?? r.error.message})` };
  if (r.status !== 0) return { found: false, text: `nvidia-smi failed: ${oneLine(r.stderr || r.stdout)}` };
  return { found: true, text: oneLine(r.stdout) };
}

function vulkaninfo(env) {
  const r = spawnSync("vulkaninfo", ["--summary"], { encoding: "utf8", timeout: 20_000, env });
  if (r.error) return r.error.code === "ENOENT" ? "not installed" : `failed: ${r.error.message}`;
  const devices = (r.stdout ?? "")
    .split("\n")
    .filter((l) => /^\s*(deviceName|driverName|apiVersion|deviceType)\s*=/.test(l))
    .map((l) => l.trim().replace(/\s+/g, " "));
  return devices.length > 0 ? devices.join("; ") : `no devices (exit ${r.status}): ${oneLine(r.stderr).slice(0, 200)}`;
}

/** Python's onnxruntime package folder (capi/, where the GPU wheel keeps its provider libraries) and version. */
function pythonOrt() {
  const r = spawnSync(
    "python3",
    [
      "-c",
      "import onnxruntime as o, os; print(o.__version__); print(os.path.join(os.path.dirname(o.__file__), 'capi'))",
    ],
    { encoding: "utf8", timeout: 20_000 },
  );
  if (r.status !== 0) return null;
  const [version, dir] = r.stdout.trim().split("\n");
  return { version, dir };
}

function sitePackages() {
  const r = spawnSync("python3", ["-c", "import site, sys; print('\\n'.join(site.getsitepackages()))"], {
    encoding: "utf8",
    timeout: 20_000,
  });
  return r.status === 0 ? r.stdout.trim().split("\n").filter(Boolean) : [];
}

function ldconfigMap() {
  const map = new Map();
  const r = spawnSync("ldconfig", ["-p"], { encoding: "utf8" });
  for (const line of (r.stdout ?? "").split("\n")) {
    const m = /^\s*(\S+) \(([^)]*)\) => (.+)$/.exec(line);
    if (m?.[2].includes("x86-64") && !map.has(m[1])) map.set(m[1], m[3].trim());
  }
  return map;
}

function findIn(name, dirs) {
  for (const d of dirs) if (fs.existsSync(path.join(d, name))) return path.join(d, name);
  return null;
}

/** Expands `*` in path segments (Node 20 has no fs.glob). */
function expand(pattern) {
  let paths = ["/"];
  for (const seg of pattern.split("/").filter(Boolean)) {
    if (!seg.includes("*")) {
      paths = paths.map((p) => path.join(p, seg)).filter((p) => fs.existsSync(p));
      continue;
    }
    const re = new RegExp(`^${seg.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
    paths = paths.flatMap((p) => {
      try {
        return fs
          .readdirSync(p)
          .filter((e) => re.test(e))
          .map((e) => path.join(p, e));
      } catch {
        return [];
      }
    });
  }
  return paths;
}

function jsonFiles(dirs) {
  return dirs.flatMap((d) => {
    try {
      return fs
        .readdirSync(d)
        .filter((f) => f.endsWith(".json"))
        .map((f) => path.join(d, f));
    } catch {
      return [];
    }
  });
}

function linkInto(dir, file) {
  const to = path.join(dir, path.basename(file));
  fs.rmSync(to, { force: true });
  fs.symlinkSync(path.resolve(file), to);
}

function osName() {
  try {
    return /PRETTY_NAME="?([^"\n]*)"?/.exec(fs.readFileSync("/etc/os-release", "utf8"))?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

function oneLine(s) {
  return String(s ?? "")
    .replace(/\s+/g, " ")
    .trim();
}
