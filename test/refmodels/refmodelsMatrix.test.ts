/**
 * Every harness case: attnlens on optimum's export equals transformers' own eager attentions, site by site,
 * or, for a case that sets `expect_error`, attnlens refuses it with that AttnlensError. Each case × file
 * leaves a row of what was measured; the last test checks docs/coverage.md against the rows
 * (`UPDATE_COVERAGE=1` rewrites it: see test/refmodels/coverage.ts).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { AttnlensError } from "../../kernel-lib/src/errors";
import type { AttentionModel } from "../../kernel-lib/src/run/attentionModel";
import { openModel } from "../../kernel-lib/src/run/openModel";
import { type CoverageRow, coverageDisagreements, coverageMarkdown, REGENERATE } from "./coverage";
import {
  caseFiles,
  expectedError,
  maxDiffOnQueries,
  onnxPath,
  portable,
  REFMODELS,
  type RefCase,
  refCase,
  refFeeds,
  refMap,
  stackOf,
} from "./refModels";

const cases = readdirSync(REFMODELS).filter((d) => !d.endsWith(".tmp"));
const COVERAGE = path.resolve(__dirname, "..", "..", "docs", "coverage.md");
const rows: CoverageRow[] = [];
const versions: Record<string, Set<string>> = {};

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0];

function rowOf(c: RefCase, file: string): CoverageRow {
  for (const [p, v] of Object.entries(c.versions ?? {})) (versions[p] ??= new Set()).add(v);
  const row = {
    case: c.case,
    family: c.family,
    variant: c.variant,
    file,
    sitesFound: 0,
    sitesExpected: c.expected_sites[file]?.length ?? 0,
    maxDiff: null,
    tolerance: c.tolerance,
    status: "failed: did not finish",
  };
  rows.push(row);
  return row;
}

/** attnlens' maps equal transformers' on every run of one file; the row records what was measured. */
async function compareFile(c: RefCase, file: string, row: CoverageRow) {
  let model: AttentionModel | undefined;
  try {
    model = await openModel(onnxPath(c, file), { providers: ["cpu"] });
    row.sitesFound = model.sites.length;
    expect(model.sites.map((s) => s.id)).toEqual(c.expected_sites[file]);
    for (const run of c.runs) {
      const want = run.sites[file];
      if (!want) continue; // this run feeds other files only
      const result = await model.run(refFeeds(c, run, file));
      expect(result.sites.map((s) => s.id)).toEqual(want.map((s) => s.id));
      for (const [i, w] of want.entries()) {
        const got = result.sites[i];
        expect(got.dims).toEqual(w.shape);
        const d = maxDiffOnQueries(got.data, refMap(c, w), got.dims, run.query_mask[stackOf(w.id)]);
        row.maxDiff = Math.max(row.maxDiff ?? 0, d);
        expect(d, `${c.case} ${run.name} ${w.id}`).toBeLessThanOrEqual(c.tolerance);
        if (w.id.startsWith("decoder.self")) expect(got.causal, `${w.id} causal`).toBe(true);
      }
    }
    row.status = "ok";
  } catch (e) {
    row.status = `failed: ${portable(firstLine(e))}`;
    throw e;
  } finally {
    await model?.release();
  }
}

/** attnlens refuses the file, when opened or run, with the case's AttnlensError. */
async function expectRefusal(c: RefCase, file: string, row: CoverageRow) {
  const want = expectedError(c);
  let model: AttentionModel | undefined;
  let error: unknown;
  try {
    model = await openModel(onnxPath(c, file), { providers: ["cpu"] });
    row.sitesFound = model.sites.length;
    for (const run of c.runs) if (run.feeds[file]) await model.run(refFeeds(c, run, file));
  } catch (e) {
    error = e;
  } finally {
    await model?.release();
  }
  const named = error instanceof AttnlensError;
  row.status = named
    ? `refused: ${error.code}: ${portable(firstLine(error))}`
    : `failed: expected an AttnlensError, ${error ? `got ${portable(firstLine(error))}` : "got maps"}`;
  expect(named, row.status).toBe(true);
  if (want?.code) expect((error as AttnlensError).code).toBe(want.code);
  expect((error as Error).message).toContain(want?.message);
}

describe.each(cases)("refmodels %s", (name) => {
  const c = refCase(name);
  const refused = expectedError(c);
  it.each(caseFiles(c))(
    refused ? `%s: attnlens refuses it (${refused.code ?? "an AttnlensError"})` : "%s: maps equal transformers'",
    async (file) => {
      const row = rowOf(c, file);
      await (refused ? expectRefusal(c, file, row) : compareFile(c, file, row));
    },
  );
});

// Defined after the cases, so it runs after them (vitest runs a file's tests in order).
describe("docs/coverage.md", () => {
  it("agrees with what the matrix measured (UPDATE_COVERAGE=1 rewrites it)", () => {
    expect(rows.length, "no case measured: run npm run refmodels").toBeGreaterThan(0);
    if (process.env.UPDATE_COVERAGE === "1") {
      const seen = Object.fromEntries(Object.entries(versions).map(([p, v]) => [p, [...v].sort()]));
      writeFileSync(COVERAGE, coverageMarkdown(rows, seen));
    }
    const doc = existsSync(COVERAGE) ? readFileSync(COVERAGE, "utf8") : "";
    expect(coverageDisagreements(doc, rows), `docs/coverage.md is stale: ${REGENERATE}`).toEqual([]);
  });
});
