/**
 * Writes the pattern classifier's false-positive table on null maps into kernel-lib/docs/metrics.md
 * (between the calibration markers): per length and causality, the share of null heads with a
 * structured label and the share of not-peaked heads called sparse. Run after the build:
 *   npm run build && npm run calibrate        (node kernel-lib/scripts/calibrate.cjs [--check])
 * --check prints the table and exits 1 when a bound is missed, without writing.
 */
const { readFileSync, writeFileSync } = require("node:fs");
const path = require("node:path");
const { nullRate } = require("../dist/testing/nullRates.js");

const LENGTHS = [8, 16, 32, 64, 128];
/** Heads per null kind (6 kinds): fewer at the long lengths, where each head has many rows. */
const HEADS = { 8: 40, 16: 40, 32: 40, 64: 16, 128: 8 };
const STRUCTURED_MAX = 0.02;
const SPARSE_MAX = 0.05;
const SEED = 1;

const pct = (x) => `${(100 * x).toFixed(1)} %`;
const rows = [];
let ok = true;
for (const causal of [false, true]) {
  for (const T of LENGTHS) {
    const r = nullRate(T, causal, HEADS[T], SEED);
    ok &&= r.structured <= STRUCTURED_MAX && r.sparse <= SPARSE_MAX;
    const labels = Object.entries(r.labels)
      .sort((a, b) => b[1] - a[1])
      .map(([l, n]) => `${l} ${n}`)
      .join(", ");
    rows.push(`| ${T} | ${causal ? "causal" : "bidirectional"} | ${r.heads} | ${pct(r.structured)} | ${pct(r.sparse)} | ${labels} |`);
  }
}
const table = [
  `Seed ${SEED}; ${Object.values(HEADS).join("/")} heads per null kind at T = ${LENGTHS.join("/")}.`,
  "",
  "| T | attention | null heads | structured (≤ 2 %) | sparse, α ≥ 0.3 (≤ 5 %) | labels |",
  "| - | --------- | ---------- | ------------------ | ----------------------- | ------ |",
  ...rows,
].join("\n");
console.log(table);
if (process.argv.includes("--check")) process.exit(ok ? 0 : 1);
const docs = path.join(__dirname, "..", "docs", "metrics.md");
const text = readFileSync(docs, "utf8");
const start = "<!-- calibration:start -->";
const end = "<!-- calibration:end -->";
const a = text.indexOf(start);
const b = text.indexOf(end);
if (a < 0 || b < a) {
  console.error(`calibrate: ${docs} has no ${start} … ${end} markers`);
  process.exit(1);
}
writeFileSync(docs, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
console.log(ok ? "all bounds met; table written" : "a bound is missed; table written");
process.exit(ok ? 0 : 1);
