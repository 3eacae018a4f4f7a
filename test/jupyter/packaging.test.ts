/**
 * tslab type-checks every cell with its own TypeScript (5.0, Node10 resolution, CommonJS output):
 * kernel-lib's published declarations must read cleanly there, and resolve to real types (a wrong
 * call must be an error, not `any`).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, ROOT } from "./setup";

type TS = typeof import("typescript");

const KERNEL_LIB_DIST = path.join(ROOT, "kernel-lib", "dist");

const GOOD_CELL = `
import * as attnlens from "attnlens";
import { BERT_BASE, bertLikeModel, constructedModel, designedSite, type HeadDesign } from "attnlens/testing";
export async function cell(result: attnlens.AttentionResult): Promise<void> {
  await attnlens.show(result, { view: "headGrid", maxTokens: 64 });
  await attnlens.showHeatmap(result);
  const bundle: attnlens.DisplayBundle = await attnlens.displayBundle(result);
  const mime: string = attnlens.ATTNLENS_MIME;
  const file: attnlens.ReportFile = await attnlens.exportReport(result, "r.html");
  void bundle; void mime; void file;
}
export async function designed(): Promise<attnlens.AttentionResult> {
  const heads: HeadDesign[] = ["previous", "first"];
  const built = constructedModel({ layers: [heads], vocab: 8 });
  const site = designedSite("previous", { lengths: [4] });
  const bert: Uint8Array = bertLikeModel({ ...BERT_BASE, layers: 1 });
  void site; void bert;
  return (await attnlens.openModel(built.bytes)).run({});
}
`;

const BAD_CELL = `
import * as attnlens from "attnlens";
attnlens.show(42);
attnlens.showHeatmap({} as attnlens.AttentionResult, { view: "nope" });
import { constructedModel } from "attnlens/testing";
constructedModel({ layers: "previous" });
`;

/** Diagnostics per file, from one program compiled like tslab compiles a cell (but with lib checks on). */
function compile(ts: TS, sources: Record<string, string>): Record<string, string[]> {
  // The files live inside the repository, like a notebook: "attnlens" resolves through node_modules.
  const dir = mkdtempSync(path.join(__dirname, ".ts50-"));
  try {
    const files = Object.entries(sources).map(([name, text]) => {
      const file = path.join(dir, `${name}.ts`);
      writeFileSync(file, text);
      return file;
    });
    const program = ts.createProgram(files, {
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.NodeJs, // Node10, as tslab
      esModuleInterop: true,
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts"],
      strict: true,
      noEmit: true,
      skipLibCheck: false, // stricter than tslab: every attnlens .d.ts must check under TS 5.0
      types: ["node"],
      typeRoots: [path.join(ROOT, "node_modules", "@types")],
    });
    const out: Record<string, string[]> = { lib: [], syntax: [] };
    for (const name of Object.keys(sources)) out[name] = [];
    const say = (d: import("typescript").Diagnostic) =>
      `${path.relative(ROOT, d.file?.fileName ?? "")}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const fileName = path.resolve(d.file?.fileName ?? "");
      if (fileName.startsWith(dir)) out[path.basename(fileName, ".ts")].push(say(d));
      // kernel-lib's own declarations must type-check; other packages' are theirs (tslab skips lib checks).
      else if (fileName.startsWith(KERNEL_LIB_DIST)) out.lib.push(say(d));
    }
    // Every attnlens declaration file the cell pulls in (kernel-lib, @attnlens/widgets) must parse under TS 5.0.
    for (const file of program.getSourceFiles()) {
      if (!/[\\/](kernel-lib|widgets)[\\/]dist[\\/]/.test(path.resolve(file.fileName))) continue;
      for (const d of program.getSyntacticDiagnostics(file)) out.syntax.push(say(d));
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("kernel-lib declarations under tslab's TypeScript", () => {
  let ts: TS;
  let diagnostics: Record<string, string[]>;
  beforeAll(() => {
    ensureBuilt("kernel-lib");
    ts = require(path.join(ROOT, "node_modules", "@tslab", "typescript-for-tslab"));
    diagnostics = compile(ts, { good: GOOD_CELL, bad: BAD_CELL });
  });

  it("is TypeScript 5.0", () => {
    expect(ts.version).toMatch(/^5\.0\./);
  });

  it("reads dist/*.d.ts without errors, Node10 resolution", () => {
    expect(diagnostics.syntax).toEqual([]);
    expect(diagnostics.lib).toEqual([]);
    expect(diagnostics.good).toEqual([]);
  });

  it("resolves real types (a wrong argument is an error, not any)", () => {
    expect(diagnostics.bad.length).toBeGreaterThanOrEqual(3);
    expect(diagnostics.bad.join("\n")).toMatch(/number/);
    expect(diagnostics.bad.join("\n")).toMatch(/view/);
    expect(diagnostics.bad.join("\n")).toMatch(/HeadDesign/);
  });
});

describe("attnlens/testing at runtime", () => {
  it("loads through package.json exports (Node) and keeps its helpers out of the main entry", () => {
    ensureBuilt("kernel-lib");
    const load = createRequire(path.join(ROOT, "package.json"));
    const testing = load("attnlens/testing") as Record<string, unknown>;
    const main = load("attnlens") as Record<string, unknown>;
    for (const name of ["constructedModel", "bertLikeModel", "designedSite", "randomAttention", "seededRandom"]) {
      expect(typeof testing[name], name).toBe("function");
      expect(main[name], name).toBeUndefined();
    }
    expect(load.resolve("attnlens/testing")).toBe(path.join(ROOT, "kernel-lib", "dist", "testing", "index.js"));
  });
});
