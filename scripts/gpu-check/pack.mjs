// Packs what the GPU check needs into one folder small enough to travel to a lent GPU machine
// (no network there, 64 MiB for the working tree and everything carried):
//
//   node scripts/gpu-check/pack.mjs [--out .gpu-bundle] [--node PATH] [--vulkan PATH] [--max-mib 64]
//
//   node.xz                 this machine's Node binary
//   libonnxruntime.so.1.xz  onnxruntime-node's native runtime (CPU and WebGPU providers)
//   app.tar.xz              app/node_modules: attnlens's build and only the packages the benchmarks
//                           load (traced from a short CPU run), lib/: a Vulkan loader for WebGPU
//   xz/                     an xz decompressor and its liblzma, for a machine without one
//   manifest.json, SHA256SUMS
//
// Build first (`npm run build`). Big files are compressed once and cached in .cache/gpu-check/.
// docs/gpu-check.md says what each part is for; scripts/gpu-check/run.sh unpacks and runs it.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const MIB = 2 ** 20;
const PLATFORM_DIR = `${process.platform}/${process.arch}`;

const cacheDir = path.join(root, ".cache", "gpu-check");
let args;
let outDir;
let limit;

try {
  args = parseArgs(process.argv.slice(2));
  outDir = path.resolve(args.out ?? path.join(root, ".gpu-bundle"));
  limit = Number(args["max-mib"] ?? 64) * MIB;
  if (!(limit > 0)) fail(`--max-mib must be a positive number of MiB, not "${args["max-mib"]}"`);
  main();
} catch (e) {
  process.stderr.write(`pack: ${e instanceof Error ? e.message : e}\n`);
  process.exit(1);
}

function main() {
  const t0 = Date.now();
  if (process.platform !== "linux" || process.arch !== "x64") fail("the GPU machines are linux-x64: pack there");
  for (const f of ["kernel-lib/dist/index.js", "kernel-lib/dist/testing/index.js", "widgets/dist/index.js"]) {
    if (!fs.existsSync(path.join(root, f))) fail(`${f} is missing: run \`npm run build\` first`);
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), "attnlens-gpu-pack-"));
  try {
    const packages = stagePackages(path.join(stage, "app", "node_modules"));
    const libs = stageLibraries(path.join(stage, "lib"));
    const files = writeBundle(stage, packages);
    const manifest = {
      format: 1,
      created: new Date().toISOString(),
      commit: git(["rev-parse", "HEAD"]),
      platform: PLATFORM_DIR,
      node: execFileSync(nodeBinary(), ["--version"], { encoding: "utf8" }).trim(),
      packages,
      libraries: libs,
      files,
      bytes: files.reduce((n, f) => n + f.bytes, 0),
      unpackedBytes: files.reduce((n, f) => n + f.unpackedBytes, 0),
      limitBytes: limit,
    };
    fs.writeFileSync(path.join(outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.writeFileSync(path.join(outDir, "SHA256SUMS"), files.map((f) => `${f.sha256}  ${f.path}\n`).join(""));
    try {
      checkSize(manifest);
    } catch (e) {
      fs.rmSync(outDir, { recursive: true, force: true }); // no bundle that a GPU machine would refuse
      throw e;
    }
    const line = (f) => `  ${f.path.padEnd(24)} ${(f.bytes / MIB).toFixed(1).padStart(6)} MiB`;
    process.stdout.write(
      `${files.map(line).join("\n")}\n` +
        `bundle ${path.relative(process.cwd(), outDir) || "."}: ${(manifest.bytes / MIB).toFixed(1)} MiB ` +
        `(${(manifest.unpackedBytes / MIB).toFixed(1)} MiB unpacked, limit ${limit / MIB} MiB), ` +
        `${packages.length} packages, ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

/** The packages a short CPU run of both benchmarks loads, copied without types, maps or other platforms. */
function stagePackages(dest) {
  const loaded = new Set();
  for (const bench of ["extraction", "ingraph"]) {
    const traceFile = path.join(os.tmpdir(), `attnlens-gpu-trace-${process.pid}-${bench}.txt`);
    const r = spawnSync(
      process.execPath,
      [
        "--require",
        path.join(here, "trace-requires.cjs"),
        path.join(here, "worker.mjs"),
        root,
        "cpu",
        bench,
        "16",
        "1",
        "1",
      ],
      { encoding: "utf8", env: { ...process.env, ATTNLENS_TRACE_FILE: traceFile } },
    );
    if (r.status !== 0) fail(`the traced ${bench} run failed: ${(r.stdout + r.stderr).trim().slice(-600)}`);
    for (const f of fs.readFileSync(traceFile, "utf8").split("\n").filter(Boolean)) loaded.add(fs.realpathSync(f));
    fs.rmSync(traceFile);
  }
  const roots = new Map(); // source dir → destination relative to app/node_modules
  for (const file of loaded) {
    const pkg = packageOf(file);
    if (pkg) roots.set(pkg.dir, pkg.dest);
  }
  const out = [];
  for (const [dir, rel] of [...roots].sort((a, b) => a[1].localeCompare(b[1]))) {
    const pj = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    const to = path.join(dest, rel);
    copyPackage(dir, to, pj);
    out.push({ name: pj.name, version: pj.version, path: `app/node_modules/${rel}`, bytes: duBytes(to) });
  }
  for (const need of ["attnlens", "onnxruntime-node", "onnxruntime-common"]) {
    if (!out.some((p) => p.name === need)) fail(`the traced run did not load ${need}: is the build complete?`);
  }
  return out;
}

/** The package holding `file`, and where it goes under app/node_modules (workspaces under their name). */
function packageOf(file) {
  const rel = path.relative(root, file);
  if (rel.startsWith("..")) return null; // Node's own modules
  const parts = rel.split(path.sep);
  const last = parts.lastIndexOf("node_modules");
  if (last >= 0) {
    const n = parts[last + 1]?.startsWith("@") ? 2 : 1;
    const dir = path.join(root, ...parts.slice(0, last + 1 + n));
    const prefix = parts.slice(0, last + 1 + n);
    // node_modules/a/node_modules/b keeps its nesting; kernel-lib/node_modules/b goes under attnlens.
    const ws = prefix[0] === "node_modules" ? null : workspaceName(path.join(root, prefix[0]));
    const inner = ws ? [ws, ...prefix.slice(1)] : prefix.slice(1);
    return { dir, dest: inner.join("/") };
  }
  const ws = workspaceName(path.join(root, parts[0]));
  return ws ? { dir: path.join(root, parts[0]), dest: ws } : null;
}

function workspaceName(dir) {
  const pj = path.join(dir, "package.json");
  if (dir === root || !fs.existsSync(pj)) return null;
  return JSON.parse(fs.readFileSync(pj, "utf8")).name ?? null;
}

function copyPackage(dir, to, pj) {
  const isWorkspace = !dir.split(path.sep).includes("node_modules");
  // A workspace ships what its package.json publishes; onnxruntime-node only this platform's binaries.
  const top = isWorkspace ? ["package.json", ...(pj.files ?? [])] : fs.readdirSync(dir);
  const skip = (rel) =>
    /(^|\/)node_modules(\/|$)/.test(rel) ||
    /\.(map|d\.ts|d\.mts|d\.cts|tsbuildinfo)$/.test(rel) ||
    (pj.name === "onnxruntime-node" &&
      (/^(lib|script)(\/|$)/.test(rel) ||
        (rel.startsWith("bin/napi-v6/") && !isOnPath(rel, `bin/napi-v6/${PLATFORM_DIR}`)) ||
        rel === `bin/napi-v6/${PLATFORM_DIR}/libonnxruntime.so.1` || // travels compressed on its own
        /libonnxruntime_providers_/.test(rel))); // CUDA/TensorRT: hundreds of MB, see docs/gpu-check.md
  for (const entry of top) {
    const src = path.join(dir, entry);
    if (!fs.existsSync(src)) continue;
    fs.cpSync(src, path.join(to, entry), {
      recursive: true,
      dereference: true,
      filter: (s) => !skip(path.relative(dir, s).split(path.sep).join("/")),
    });
  }
}

/** True when `rel` is `target`, inside it, or one of the folders leading to it. */
function isOnPath(rel, target) {
  return rel === target || rel.startsWith(`${target}/`) || target.startsWith(`${rel}/`);
}

/** The Vulkan loader WebGPU (Dawn) opens, and glvnd's dispatch library that NVIDIA's Vulkan driver links. */
function stageLibraries(dest) {
  fs.mkdirSync(dest, { recursive: true });
  const vulkan = args.vulkan
    ? { file: path.resolve(args.vulkan), source: args.vulkan }
    : findLibrary("libvulkan.so.1", "libvulkan1", ["/usr/lib/chromium/libvulkan.so.1"]);
  if (!vulkan) {
    fail(
      "no Vulkan loader (libvulkan.so.1) found: install libvulkan1, let `apt-get download libvulkan1` work, or pass --vulkan PATH",
    );
  }
  const out = [copyLibrary(vulkan, dest, "libvulkan.so.1")];
  const dispatch = findLibrary("libGLdispatch.so.0", "libglvnd0", []);
  if (dispatch) out.push(copyLibrary(dispatch, dest, "libGLdispatch.so.0"));
  return out;
}

function copyLibrary(found, dest, name) {
  fs.copyFileSync(found.file, path.join(dest, name));
  return { name, path: `lib/${name}`, source: found.source, bytes: fs.statSync(found.file).size };
}

/** A shared library: installed, from a Debian package cached in .cache/gpu-check, downloaded once, or a fallback. */
function findLibrary(soname, debName, fallbacks) {
  const installed = ldconfigPath(soname);
  if (installed) return { file: fs.realpathSync(installed), source: `installed ${installed}` };
  const debDir = path.join(cacheDir, "debs");
  fs.mkdirSync(debDir, { recursive: true });
  let deb = fs.readdirSync(debDir).find((f) => f.startsWith(`${debName}_`) && f.endsWith("_amd64.deb"));
  if (!deb) {
    spawnSync("apt-get", ["download", `${debName}:amd64`], { cwd: debDir, stdio: "ignore" });
    deb = fs.readdirSync(debDir).find((f) => f.startsWith(`${debName}_`) && f.endsWith("_amd64.deb"));
  }
  if (deb) {
    const x = path.join(debDir, deb.replace(/\.deb$/, ""));
    if (!fs.existsSync(x)) execFileSync("dpkg-deb", ["-x", path.join(debDir, deb), x]);
    const lib = path.join(x, "usr/lib/x86_64-linux-gnu", soname);
    if (fs.existsSync(lib)) return { file: fs.realpathSync(lib), source: `Debian package ${deb}` };
  }
  const other = fallbacks.find((f) => fs.existsSync(f));
  return other ? { file: fs.realpathSync(other), source: other } : null;
}

function ldconfigPath(soname) {
  const r = spawnSync("ldconfig", ["-p"], { encoding: "utf8" });
  const line = (r.stdout ?? "").split("\n").find((l) => l.trim().startsWith(`${soname} `) && l.includes("x86-64"));
  return line ? line.split("=>")[1].trim() : null;
}

function nodeBinary() {
  return fs.realpathSync(args.node ?? process.execPath);
}

/** Writes the compressed parts into outDir (replacing an earlier bundle) and describes each. */
function writeBundle(stage, packages) {
  if (fs.existsSync(outDir)) {
    const mine = fs.existsSync(path.join(outDir, "manifest.json")) || fs.readdirSync(outDir).length === 0;
    if (!mine) fail(`${outDir} exists and is not a bundle: choose another --out`);
    fs.rmSync(outDir, { recursive: true });
  }
  fs.mkdirSync(outDir, { recursive: true });
  const ortDir = packages.find((p) => p.name === "onnxruntime-node").path;
  const ortLib = path.join(root, "node_modules/onnxruntime-node/bin/napi-v6", PLATFORM_DIR, "libonnxruntime.so.1");
  const files = [
    compressCached(nodeBinary(), "node.xz", "bin/node"),
    compressCached(ortLib, "libonnxruntime.so.1.xz", `${ortDir}/bin/napi-v6/${PLATFORM_DIR}/libonnxruntime.so.1`),
  ];
  const tarFile = path.join(stage, "app.tar");
  execFileSync("tar", [
    "--sort=name",
    "--mtime=@0",
    "--owner=0",
    "--group=0",
    "-C",
    stage,
    "-cf",
    tarFile,
    "app",
    "lib",
  ]);
  execFileSync("xz", ["-6", "-T2", "-k", tarFile]);
  fs.renameSync(`${tarFile}.xz`, path.join(outDir, "app.tar.xz"));
  files.push(describe("app.tar.xz", tarFile, "app/, lib/ (tar)"));
  files.push(...stageXz());
  return files;
}

/** `xz -6` of a big file, cached by its content so a second pack costs seconds. */
function compressCached(src, name, unpackTo) {
  const sha = sha256(src);
  const cached = path.join(cacheDir, `${sha.slice(0, 16)}-${name}`);
  if (!fs.existsSync(cached)) {
    const tmp = `${cached}.tmp`;
    fs.writeFileSync(tmp, execFileSync("xz", ["-6", "-T2", "-c", src], { maxBuffer: 512 * MIB }));
    fs.renameSync(tmp, cached);
  }
  fs.copyFileSync(cached, path.join(outDir, name));
  return describe(name, src, unpackTo);
}

/** This machine's xz and the liblzma it links, uncompressed, for a GPU machine that has neither xz nor python3. */
function stageXz() {
  const xz = spawnSync("sh", ["-c", "command -v xz"], { encoding: "utf8" }).stdout.trim();
  const lzma = ldconfigPath("liblzma.so.5");
  if (!xz || !lzma) return [];
  fs.mkdirSync(path.join(outDir, "xz"));
  const out = [];
  for (const [src, name] of [
    [xz, "xz/xz"],
    [lzma, "xz/liblzma.so.5"],
  ]) {
    fs.copyFileSync(fs.realpathSync(src), path.join(outDir, name));
    fs.chmodSync(path.join(outDir, name), 0o755);
    out.push(describe(name, fs.realpathSync(src), "(used in place)"));
  }
  return out;
}

function describe(name, unpackedFrom, unpackTo) {
  const file = path.join(outDir, name);
  return {
    path: name,
    bytes: fs.statSync(file).size,
    sha256: sha256(file),
    unpackTo,
    unpackedBytes: fs.statSync(unpackedFrom).size,
    unpackedSha256: sha256(unpackedFrom),
  };
}

/** The bundle alone, and with the working tree that travels beside it, within the limit. */
function checkSize(manifest) {
  if (manifest.bytes > limit) {
    fail(`the bundle is ${(manifest.bytes / MIB).toFixed(1)} MiB, over the ${limit / MIB} MiB a GPU machine accepts`);
  }
  const tree = git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
  if (tree === null) return;
  const inRepo = !path.relative(root, outDir).startsWith("..");
  const treeBytes = tree
    .split("\0")
    .filter(Boolean)
    .map((f) => path.join(root, f))
    .filter((f) => !(inRepo && f.startsWith(outDir + path.sep)))
    .reduce((n, f) => n + (fs.existsSync(f) ? fs.lstatSync(f).size : 0), 0);
  manifest.treeBytes = treeBytes;
  fs.writeFileSync(path.join(outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  if (treeBytes + manifest.bytes > limit) {
    fail(
      `the working tree (${(treeBytes / MIB).toFixed(1)} MiB) and the bundle (${(manifest.bytes / MIB).toFixed(1)} MiB) ` +
        `together exceed the ${limit / MIB} MiB that travel to a GPU machine`,
    );
  }
  if (inRepo && spawnSync("git", ["-C", root, "check-ignore", "-q", outDir]).status !== 0) {
    process.stderr.write(`pack: warning: ${outDir} is not git-ignored; it would travel without being carried\n`);
  }
}

function sha256(file) {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

function duBytes(dir) {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += fs.statSync(path.join(e.parentPath ?? e.path, e.name)).size;
  }
  return n;
}

function git(argv) {
  const r = spawnSync("git", ["-C", root, ...argv], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m || !["out", "node", "vulkan", "max-mib"].includes(m[1])) {
      fail(`unknown argument "${argv[i]}": use --out DIR, --node PATH, --vulkan PATH, --max-mib N`);
    }
    out[m[1]] = m[2] ?? argv[++i];
    if (out[m[1]] === undefined) fail(`--${m[1]} needs a value`);
  }
  return out;
}

function fail(msg) {
  throw new Error(msg);
}
