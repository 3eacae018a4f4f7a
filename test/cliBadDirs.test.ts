/**
 * `attnlens metrics` and `attnlens report` as a user runs them (child process, built CLI) on the
 * nastiest extraction directories of the fuzz generator: exit code 1 (a format error, not the
 * internal-error 70) and one line on stderr. Also: metrics.json is replaced, never written
 * through a symlink, and a fully masked sample is named by both commands.
 */
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readExtraction, writeExtraction } from "../kernel-lib/src/output/files/extractionDir";
import { designedSite } from "../kernel-lib/src/testing/syntheticMaps";
import { seededRandom } from "../kernel-lib/src/util/random";
import { baseFiles, baseResult, mutateDir, writeDir } from "../kernel-lib/test/fuzz/dirMutations";
import { attnlens } from "./cliRunner";

const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-baddirs-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The first generated directory, per damaged file, that the library rejects. */
function nastiest(): { dir: string; what: string }[] {
  const base = baseFiles(baseResult());
  const byFile = new Map<string, { dir: string; what: string }>();
  for (let seed = 5000; seed < 5400 && byFile.size < 4; seed++) {
    const m = mutateDir(base, seededRandom(seed));
    if (m.what.length !== 1 || m.what[0].includes("cut to")) continue;
    const file = m.what[0].split(":")[0].replace(/^encoder\.self\.\d\./, "");
    if (byFile.has(file)) continue;
    const dir = writeDir(tmp, `seed-${seed}`, m.files);
    try {
      readExtraction(dir);
    } catch {
      byFile.set(file, { dir, what: `seed ${seed}: ${m.what[0]}` });
    }
  }
  return [...byFile.values()];
}

describe("attnlens metrics / report on damaged extraction directories", () => {
  const cases = nastiest();

  it("finds a damaged manifest, npy, tokens.json and metrics.json among the generated directories", () => {
    expect(cases.map((c) => c.what.replace(/^seed \d+: /, "").split(":")[0]).sort()).toEqual(
      expect.arrayContaining(["manifest.json", "tokens.json"]),
    );
    expect(cases.length).toBe(4);
  });

  it.each(cases.map((c) => [c.what, c.dir]))("%s: exit 1 and one line on stderr", (_what, dir) => {
    // report first: metrics replaces metrics.json, repairing a damaged one.
    for (const args of [
      ["report", dir, "-o", path.join(dir, "out.html")],
      ["metrics", dir, "--rollout", "--flow"],
    ]) {
      const r = attnlens(...args);
      // metrics does not read metrics.json (it replaces it unread): exit 0 there.
      if (r.code === 0) {
        expect(args[0]).toBe("metrics");
        continue;
      }
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.trimEnd().split("\n"), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^attnlens ${args[0]}: error: `));
    }
  });
});

describe("attnlens metrics writes its files by replacing them", () => {
  it("replaces a metrics.json symlink instead of writing through it", () => {
    const dir = writeDir(tmp, "symlinked", baseFiles(baseResult()));
    const outside = path.join(tmp, "outside.json");
    writeFileSync(outside, "keep me\n");
    rmSync(path.join(dir, "metrics.json"));
    symlinkSync(outside, path.join(dir, "metrics.json"));
    const r = attnlens("metrics", dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(outside, "utf8")).toBe("keep me\n");
    expect(lstatSync(path.join(dir, "metrics.json")).isSymbolicLink()).toBe(false);
    const json = JSON.parse(readFileSync(path.join(dir, "metrics.json"), "utf8"));
    expect(json.sites.map((s: { id: string }) => s.id)).toEqual(["encoder.self.0", "encoder.self.1"]);
  });
});

describe("files that link out of the directory", () => {
  it("are not read: a tokens.json or .npy symlink to a file outside DIR is one error line", () => {
    const outside = path.join(tmp, "secret.txt");
    writeFileSync(outside, "secret\nline two\n");
    for (const name of ["tokens.json", "encoder.self.0.npy"]) {
      const dir = writeDir(tmp, `link-${name}`, baseFiles(baseResult()));
      rmSync(path.join(dir, name));
      symlinkSync(outside, path.join(dir, name));
      const r = attnlens("report", dir, "-o", path.join(dir, "out.html"));
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.trimEnd().split("\n"), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/links to a file outside .*: copy the file in/);
      expect(r.stderr).not.toContain("secret");
    }
  });
});

describe("a fully masked sample through the CLI", () => {
  it("is named on stderr by metrics and in the notes of the report", () => {
    const dir = path.join(tmp, "masked");
    const s = designedSite(["identity", "uniform"], { lengths: [6, 0], length: 6 });
    writeExtraction(dir, { sites: [s.site], provider: "cpu", fallbacks: [], masks: { encoder: s.mask }, outputs: {} });
    const warning = "site encoder.self.0: sample 1 of 2 has no valid positions (attention mask all zeros)";
    const m = attnlens("metrics", dir);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stderr).toContain(`attnlens metrics: warning: ${warning}`);
    expect(JSON.parse(readFileSync(path.join(dir, "metrics.json"), "utf8")).warnings[0]).toContain(warning);
    const out = path.join(dir, "report.html");
    const r = attnlens("report", dir, "-o", out);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, "utf8")).toContain(warning);
  });

  it("a report of maps that fail the checks says it has no metrics, and why", () => {
    const dir = path.join(tmp, "invalid");
    const s = designedSite(["identity"], { lengths: [4], length: 4 });
    s.site.data[0] = 3; // row 0 sums to 3
    writeExtraction(dir, { sites: [s.site], provider: "cpu", fallbacks: [], masks: { encoder: s.mask }, outputs: {} });
    const out = path.join(dir, "report.html");
    const r = attnlens("report", dir, "-o", out);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html).not.toContain("metrics computed from the maps");
    expect(html).toMatch(
      /no metrics: the maps did not pass the checks \(site encoder\.self\.0, sample 0, head 0, target row 0/,
    );
  });
});
