/**
 * docs/coverage.md: the reference matrix as the test run measured it, one row per case × ONNX file.
 *
 * The matrix test collects a row per file it opens; `UPDATE_COVERAGE=1` writes them, and otherwise the
 * committed table must agree with the rows measured (status and sites exactly, max |Δ| to within an order
 * of magnitude, since float noise differs by machine), so the table cannot rot.
 */

export interface CoverageRow {
  case: string;
  family: string;
  variant: string;
  file: string;
  sitesFound: number;
  sitesExpected: number;
  /** max |Δ| vs transformers over every run and site; null when no map was compared. */
  maxDiff: number | null;
  tolerance: number;
  /** "ok", "refused: CODE: first line of the error" (an expected refusal), or "failed: …". */
  status: string;
}

export const REGENERATE =
  "npm run refmodels && UPDATE_COVERAGE=1 npx vitest run test/refmodels/refmodelsMatrix.test.ts";

const COLUMNS = [
  "case",
  "family",
  "variant",
  "ONNX file",
  "sites found / expected",
  "max \\|Δ\\|",
  "tolerance",
  "status",
];

/** One line of table text: a line break would end the markdown row, a bare pipe split its cell. */
export const cell = (s: string) =>
  s
    .replace(/[\r\n]+/g, " ")
    .trim()
    .replace(/\|/g, "\\|");

export const formatDiff = (d: number | null) => (d === null ? "—" : d === 0 ? "0" : d.toExponential(1));

export function sortRows(rows: CoverageRow[]): CoverageRow[] {
  const key = (r: CoverageRow) => [r.family, r.case, r.file];
  return [...rows].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
  });
}

/** The whole document: what it is, how to regenerate it, the package versions, the table. */
export function coverageMarkdown(rows: CoverageRow[], versions: Record<string, string[]>): string {
  const lines = [
    "# Reference matrix coverage",
    "",
    "attnlens on Hugging Face optimum's ONNX exports of small random-weight models, compared with",
    "transformers' own eager attentions (`output_attentions=True`) on the same inputs: max |Δ| over the",
    "real-token query rows of every run and site (refmodels/README.md). Written by the test run, not by",
    "hand; `test/refmodels/refmodelsMatrix.test.ts` fails when this table disagrees with what it measures.",
    "",
    "Regenerate (after changing a case, the harness or the pins):",
    "",
    "```sh",
    REGENERATE,
    "```",
    "",
    `Packages: ${Object.entries(versions)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([p, v]) => `${p} ${v.join(" / ")}`)
      .join(", ")}.`,
    "",
    `| ${COLUMNS.join(" | ")} |`,
    `|${COLUMNS.map(() => " --- ").join("|")}|`,
  ];
  for (const r of sortRows(rows))
    lines.push(
      `| ${[
        r.case,
        r.family,
        r.variant,
        r.file,
        `${r.sitesFound} / ${r.sitesExpected}`,
        formatDiff(r.maxDiff),
        String(r.tolerance),
        r.status,
      ]
        .map(cell)
        .join(" | ")} |`,
    );
  return `${lines.join("\n")}\n`;
}

/** The table's rows as cells, keyed by "case file". */
export function parseCoverage(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  const header = `| ${COLUMNS.join(" | ")} |`;
  const lines = markdown.split("\n");
  const start = lines.indexOf(header);
  if (start < 0) return rows;
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((s) => s.trim());
    rows.set(`${cells[0]} ${cells[3]}`, cells);
  }
  return rows;
}

/** Order of magnitude of max |Δ|; values below 1e-9 (and exact 0) share one bucket. */
export function diffBucket(text: string): number | null {
  if (text === "—") return null;
  const d = Number(text);
  if (!Number.isFinite(d)) return Number.NaN;
  return d < 1e-9 ? -9 : Math.floor(Math.log10(d));
}

/**
 * What differs between the committed table and the measured rows, one line each. Only the cases measured
 * are compared: other cases' rows (built elsewhere, or filtered out of this run) are left alone.
 */
export function coverageDisagreements(markdown: string, measured: CoverageRow[]): string[] {
  const doc = parseCoverage(markdown);
  const out: string[] = [];
  const measuredCases = new Set(measured.map((r) => r.case));
  const measuredKeys = new Set(measured.map((r) => `${r.case} ${r.file}`));
  for (const [key, cells] of doc)
    if (measuredCases.has(cells[0]) && !measuredKeys.has(key)) out.push(`${key}: in docs/coverage.md, not measured`);
  for (const r of measured) {
    const key = `${r.case} ${r.file}`;
    const got = doc.get(key);
    if (!got) {
      out.push(`${key}: measured, missing from docs/coverage.md`);
      continue;
    }
    for (const [i, what, value] of [
      [1, "family", r.family],
      [2, "variant", r.variant],
    ] as const)
      if (got[i] !== cell(value)) out.push(`${key}: ${what} "${cell(value)}", docs/coverage.md says "${got[i]}"`);
    const sites = `${r.sitesFound} / ${r.sitesExpected}`;
    if (got[4] !== sites) out.push(`${key}: sites ${sites}, docs/coverage.md says ${got[4]}`);
    if (got[7] !== cell(r.status)) out.push(`${key}: status "${cell(r.status)}", docs/coverage.md says "${got[7]}"`);
    if (got[6] !== String(r.tolerance)) out.push(`${key}: tolerance ${r.tolerance}, docs/coverage.md says ${got[6]}`);
    const [want, have] = [diffBucket(formatDiff(r.maxDiff)), diffBucket(got[5])];
    const agree = want === null || have === null ? want === have : Math.abs(want - have) <= 1;
    if (!agree) out.push(`${key}: max |Δ| ${formatDiff(r.maxDiff)}, docs/coverage.md says ${got[5]}`);
  }
  return out;
}
