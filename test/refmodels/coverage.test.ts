/** docs/coverage.md's writer and checker: what counts as the table disagreeing with a measurement. */
import { describe, expect, it } from "vitest";
import { type CoverageRow, coverageDisagreements, coverageMarkdown, parseCoverage } from "./coverage";

const row = (over: Partial<CoverageRow> = {}): CoverageRow => ({
  case: "bert",
  family: "BERT",
  variant: "optimum fp32",
  file: "model.onnx",
  sitesFound: 2,
  sitesExpected: 2,
  maxDiff: 2.2e-8,
  tolerance: 1e-4,
  status: "ok",
  ...over,
});
const refused = row({
  case: "x",
  file: "onnx/m.onnx",
  maxDiff: null,
  sitesFound: 0,
  status: "refused: NO_ATTENTION: a | b",
});
const doc = coverageMarkdown([row(), refused], { torch: ["2.13.0"] });

describe("docs/coverage.md", () => {
  it("writes one sorted row per case × file, pipes escaped, and reads them back cell by cell", () => {
    const table = doc.split("\n").filter((l) => l.startsWith("| "));
    expect(table.slice(2)).toEqual([
      "| bert | BERT | optimum fp32 | model.onnx | 2 / 2 | 2.2e-8 | 0.0001 | ok |",
      "| x | BERT | optimum fp32 | onnx/m.onnx | 0 / 2 | — | 0.0001 | refused: NO_ATTENTION: a \\| b |",
    ]);
    expect(parseCoverage(doc).get("x onnx/m.onnx")?.[7]).toBe("refused: NO_ATTENTION: a \\| b");
    expect(doc).toContain("torch 2.13.0");
    expect(coverageDisagreements(doc, [row(), refused])).toEqual([]);
  });

  it("tolerates max |Δ| noise within an order of magnitude, not beyond", () => {
    expect(coverageDisagreements(doc, [row({ maxDiff: 9.7e-8 })])).toEqual([]);
    expect(coverageDisagreements(doc, [row({ maxDiff: 0 })])).toEqual([]);
    expect(coverageDisagreements(doc, [row({ maxDiff: 3e-6 })])).toEqual([
      "bert model.onnx: max |Δ| 3.0e-6, docs/coverage.md says 2.2e-8",
    ]);
    expect(coverageDisagreements(doc, [row({ maxDiff: null })])).toHaveLength(1);
  });

  it("compares sites and status exactly", () => {
    expect(coverageDisagreements(doc, [row({ sitesFound: 1 })])).toEqual([
      "bert model.onnx: sites 1 / 2, docs/coverage.md says 2 / 2",
    ]);
    expect(coverageDisagreements(doc, [row({ status: "failed: boom" })])).toEqual([
      'bert model.onnx: status "failed: boom", docs/coverage.md says "ok"',
    ]);
  });

  it("flags rows missing on either side for the cases measured, and leaves other cases' rows alone", () => {
    expect(coverageDisagreements(doc, [row({ file: "other.onnx" })])).toEqual([
      "bert model.onnx: in docs/coverage.md, not measured",
      "bert other.onnx: measured, missing from docs/coverage.md",
    ]);
    expect(coverageDisagreements("", [row()])).toEqual(["bert model.onnx: measured, missing from docs/coverage.md"]);
  });
});
