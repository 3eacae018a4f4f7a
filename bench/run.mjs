// `npm run bench`: runs every bench/<entry>.mjs (or those named on the command line), prints each
// entry's table and ratios, then a summary; exits non-zero when a target is missed or an entry
// throws (the other entries still run). Entries export `default async function run()` returning
// {title, rows: [{name, value, unit}], ratios: [{name, value, target, op?}]}:
//   op "≤" (default), "<", "≥" or ">" compares value with target; target null = reported only;
//   value null = not measured (a missing feature): with a target that counts as missed, never met.
import { readdirSync } from "node:fs";
import { cpus } from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const ORDER = [
  "extraction",
  "metrics",
  "analysisShare",
  "longContext",
  "widgets",
  "minilm",
  "liveWidget",
  "labFigures",
];
const NOT_ENTRIES = new Set(["run.mjs", "common.mjs"]);
const wanted = process.argv.slice(2);
const available = readdirSync(here)
  .filter((f) => f.endsWith(".mjs") && !NOT_ENTRIES.has(f) && !f.includes("worker"))
  .map((f) => f.replace(/\.mjs$/, ""));
const unknown = wanted.filter((n) => !available.includes(n));
if (unknown.length) {
  console.error(`no benchmark entry ${unknown.join(", ")}; entries are: ${available.join(", ")}`);
  process.exit(2);
}
const entries = available
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));

const COMPARE = {
  "≤": (v, t) => v <= t,
  "<": (v, t) => v < t,
  "≥": (v, t) => v >= t,
  ">": (v, t) => v > t,
};
const fmt = (v) => (typeof v === "number" ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : String(v));

/** "met", "MISSED" or "" (no target) for one ratio. */
function verdict(r) {
  if (r.target == null) return "";
  const op = r.op ?? "≤";
  const compare = COMPARE[op];
  if (!compare) throw new Error(`ratio "${r.name}": unknown comparison "${op}"`);
  return typeof r.value === "number" && Number.isFinite(r.value) && compare(r.value, r.target) ? "met" : "MISSED";
}

const summary = [];
for (const name of entries) {
  const started = Date.now();
  try {
    const mod = await import(pathToFileURL(path.join(here, `${name}.mjs`)).href);
    const { title, rows, ratios } = await mod.default();
    console.log(`\n## ${title}  (${name}, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    const width = Math.max(...rows.map((r) => r.name.length), 10);
    for (const r of rows) {
      const value = r.value == null ? "not available" : `${fmt(r.value).padStart(10)} ${r.unit}`;
      console.log(`  ${r.name.padEnd(width)}  ${value}`);
    }
    for (const r of ratios ?? []) {
      const v = verdict(r);
      summary.push({ entry: name, name: r.name, value: r.value, target: r.target, op: r.op ?? "≤", verdict: v });
      const shown = r.value == null ? "not available" : fmt(r.value);
      console.log(`  ratio ${r.name}: ${shown}${v ? `  (target ${r.op ?? "≤"} ${r.target}: ${v})` : ""}`);
    }
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    console.log(`\n## ${name}: FAILED after ${((Date.now() - started) / 1000).toFixed(0)} s: ${message}`);
    if (e instanceof Error && e.stack) console.error(e.stack);
    summary.push({ entry: name, name: "(entry threw)", value: null, target: null, op: "", verdict: "FAILED" });
  }
}

const withTarget = summary.filter((s) => s.verdict);
if (withTarget.length) {
  console.log("\n## Summary");
  const w = Math.max(...withTarget.map((s) => `${s.entry}: ${s.name}`.length), 10);
  for (const s of withTarget) {
    const value = s.value == null ? "n/a" : fmt(s.value);
    const target = s.target == null ? "" : `${s.op} ${s.target}`;
    console.log(`  ${`${s.entry}: ${s.name}`.padEnd(w)}  ${value.padStart(8)}  ${target.padEnd(8)}  ${s.verdict}`);
  }
}
const missed = withTarget.filter((s) => s.verdict === "MISSED").length;
const failed = withTarget.filter((s) => s.verdict === "FAILED").length;
const machine = `machine: ${process.arch}, ${cpus().length} cores, node ${process.version}`;
console.log(
  `\n${missed + failed === 0 ? "all targets met" : `${missed} target(s) MISSED, ${failed} entr${failed === 1 ? "y" : "ies"} FAILED`} (${machine})`,
);
process.exitCode = missed + failed === 0 ? 0 : 1;
