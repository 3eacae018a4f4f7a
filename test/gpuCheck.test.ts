/**
 * The prepared GPU check (scripts/gpu-check/, docs/gpu-check.md), end to end on this GPU-less
 * machine: pack the bundle once, check it against the files it was made from and the size a GPU
 * machine accepts, then run run.sh the way a GPU machine would — from a copy of the working tree
 * that travels (no node_modules, no builds), with no Node on the PATH — in its quick mode. The CPU
 * rows must carry figures; WebGPU (no Vulkan driver) and CUDA (no driver, no CUDA 12) must each be
 * a row with its reason, not a hang or a crash.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");
const MIB = 2 ** 20;
const work = fs.mkdtempSync(path.join(tmpdir(), "attnlens-gpu-check-test-"));
const bundle = path.join(work, "bundle");

interface ManifestFile {
  path: string;
  bytes: number;
  sha256: string;
  unpackedSha256: string;
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** A PATH holding every tool of this one except Node and its package managers. */
function pathWithoutNode(): string {
  const bin = path.join(work, "bin");
  fs.mkdirSync(bin, { recursive: true });
  for (const dir of (process.env.PATH ?? "").split(":").filter((d) => fs.existsSync(d))) {
    for (const name of fs.readdirSync(dir)) {
      if (["node", "nodejs", "npm", "npx", "corepack"].includes(name) || fs.existsSync(path.join(bin, name))) continue;
      fs.symlinkSync(path.join(dir, name), path.join(bin, name));
    }
  }
  return bin;
}

/** What travels to a GPU machine: tracked and untracked-but-not-ignored files, nothing built. */
function travellingTree(): string {
  const tree = path.join(work, "tree");
  fs.mkdirSync(tree);
  const files = execFileSync("git", ["-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"])
    .toString()
    .split("\0")
    .filter((f) => f && fs.existsSync(path.join(root, f)));
  for (const f of files) fs.cpSync(path.join(root, f), path.join(tree, f), { dereference: false });
  return tree;
}

describe("GPU check bundle and run.sh", () => {
  let manifest: { files: ManifestFile[]; bytes: number; treeBytes: number; node: string };

  // The first pack on a machine xz-compresses Node and onnxruntime (minutes on 2 busy cores);
  // later packs reuse .cache/gpu-check and take seconds.
  beforeAll(() => {
    execFileSync(process.execPath, [path.join(root, "scripts/gpu-check/pack.mjs"), "--out", bundle], {
      stdio: "pipe",
    });
    manifest = JSON.parse(fs.readFileSync(path.join(bundle, "manifest.json"), "utf8"));
  }, 900_000);

  it("fits a GPU machine's upload with the working tree, and matches its manifest", () => {
    const onDisk = fs.readdirSync(bundle, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const total = onDisk.reduce((n, e) => n + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
    expect(total).toBeLessThanOrEqual(64 * MIB);
    expect(total + manifest.treeBytes).toBeLessThanOrEqual(64 * MIB);
    expect(manifest.node).toBe(process.version);
    const sums = fs.readFileSync(path.join(bundle, "SHA256SUMS"), "utf8");
    for (const f of manifest.files) {
      const bytes = fs.readFileSync(path.join(bundle, f.path));
      expect(bytes.length, f.path).toBe(f.bytes);
      expect(sha256(bytes), f.path).toBe(f.sha256);
      expect(sums).toContain(`${f.sha256}  ${f.path}\n`);
    }
    // The compressed runtime is byte for byte the one the project runs on here.
    const ort = fs.readFileSync(
      path.join(root, "node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"),
    );
    const unpacked = execFileSync("xz", ["-dc", path.join(bundle, "libonnxruntime.so.1.xz")], {
      maxBuffer: 256 * MIB,
    });
    expect(sha256(unpacked)).toBe(sha256(ort));
    // Only what the benchmarks load, for this platform, without types or source maps.
    const listing = execFileSync("tar", ["-tJf", path.join(bundle, "app.tar.xz")])
      .toString()
      .split("\n");
    expect(listing).toContain("app/node_modules/attnlens/dist/index.js");
    expect(listing).toContain("app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node");
    expect(listing).toContain("lib/libvulkan.so.1");
    expect(listing.filter((f) => /\/(darwin|win32)\/|\.d\.ts$|\.map$|\/vega\//.test(f))).toEqual([]);
  });

  it("runs from a bare copy of the tree with no Node: CPU figures, WebGPU and CUDA as reasons", () => {
    const tree = travellingTree();
    const out = path.join(work, "out");
    const env = {
      PATH: pathWithoutNode(),
      HOME: work,
      OUT: out,
      // No Vulkan driver, whatever this machine has (a software one would make WebGPU minutes slow).
      VK_DRIVER_FILES: path.join(work, "no-driver.json"),
    };
    expect(spawnSync("bash", ["-c", "command -v node"], { env }).status).not.toBe(0);
    expect(fs.existsSync(path.join(tree, "node_modules"))).toBe(false);

    const r = spawnSync("bash", ["scripts/gpu-check/run.sh", "--bundle", bundle, "--quick"], {
      cwd: tree,
      env,
      encoding: "utf8",
      timeout: 300_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, "gpu-check.json"), "utf8"));
    expect(report.software.node).toBe(process.version);
    expect(fs.readFileSync(path.join(out, "gpu-check.md"), "utf8")).toBe(r.stdout);

    const row = (provider: string, bench: string) =>
      report.rows.find((x: { provider: string; bench: string }) => x.provider === provider && x.bench === bench);
    const ext = row("cpu", "extraction");
    expect(ext).toMatchObject({ ok: true, ran: "cpu", tokens: 128, layers: 2, maps: 2, fallbacks: [] });
    for (const v of [ext.plainMs, ext.exposedMs, ext.analyzeMs]) expect(v).toBeGreaterThan(0);
    expect(ext.analysisShare).toBeCloseTo(ext.analyzeMs / ext.plainMs, 12);
    expect(ext.mapMiB).toBeCloseTo((2 * 12 * 128 * 128 * 4) / MIB, 6); // 2 sites × 12 heads × T² floats
    const ing = row("cpu", "ingraph");
    expect(ing).toMatchObject({ ok: true, ran: "cpu", tokens: 128 });
    for (const v of [ing.hostMs, ing.measureMs, ing.measureRolloutMs]) expect(v).toBeGreaterThan(0);
    expect(ing.maxDiff).toBeLessThan(1e-4);
    expect(ing.toHostMiB).toBeLessThan(ing.mapMiB);

    for (const bench of ["extraction", "ingraph"]) {
      expect(row("webgpu", bench)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/adapter|Vulkan|driver/i),
      });
      expect(row("cuda", bench)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^not tried: .*(libcuda|CUDA)/),
      });
    }
    expect(r.stdout).toMatch(/^\| cpu \| cpu \| 128 \| \d+\.\d \| \d+\.\d \| \d+\.\d\d \| \d+\.\d \| \d\.\d{3} \|/m);
    expect(r.stdout).toMatch(/^\| webgpu \| — \| 128 \| — .*\| [^|]*(adapter|Vulkan|driver)[^|]* \|$/im);
    expect(r.stdout).toMatch(/^\| cuda \| — \| 128 \| — .*\| not tried: [^|]+ \|$/m);
  });

  it("pack refuses a bad argument, and a bundle over the limit, leaving none behind", () => {
    const pack = (...argv: string[]) =>
      spawnSync(process.execPath, [path.join(root, "scripts/gpu-check/pack.mjs"), ...argv], { encoding: "utf8" });
    const bad = pack("--outdir", "x");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(
      'pack: unknown argument "--outdir": use --out DIR, --node PATH, --vulkan PATH, --max-mib N\n',
    );
    const small = path.join(work, "small");
    const over = pack("--out", small, "--max-mib", "20");
    expect(over.status).toBe(1);
    expect(over.stderr).toMatch(/^pack: the bundle is 3\d\.\d MiB, over the 20 MiB a GPU machine accepts\n$/);
    expect(fs.existsSync(small)).toBe(false);
  }, 300_000);

  it("refuses a missing or altered bundle with one line naming what to do", () => {
    const missing = spawnSync(
      "bash",
      [path.join(root, "scripts/gpu-check/run.sh"), "--bundle", path.join(work, "none")],
      {
        encoding: "utf8",
      },
    );
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(
      `gpu-check: no bundle at ${path.join(work, "none")}: run \`node scripts/gpu-check/pack.mjs\` where the project is built, and carry .gpu-bundle\n`,
    );
    const altered = path.join(work, "altered");
    fs.cpSync(bundle, altered, { recursive: true });
    fs.appendFileSync(path.join(altered, "app.tar.xz"), "x");
    const bad = spawnSync("bash", [path.join(root, "scripts/gpu-check/run.sh"), "--bundle", altered], {
      encoding: "utf8",
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      `gpu-check: the bundle at ${altered} does not match its SHA256SUMS (app.tar.xz: FAILED): pack it again\n`,
    );
  });
});
