// `npm run bench`: runs every bench/<entry>.mjs (or those named on the command line) and prints
// each entry's table and ratios. Entries export `default async function run()` returning
// {title, rows: [{name, value, unit}], ratios: [{name, value, target}]}.
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const ORDER = ["extraction", "metrics", "analysisShare", "widgets", "minilm", "liveWidget", "labFigures"];
const wanted = process.argv.slice(2);
const entries = readdirSync(here)
  .filter((f) => f.endsWith(".mjs") && f !== "run.mjs" && f !== "common.mjs" && !f.includes("worker"))
  .map((f) => f.replace(/\.mjs$/, ""))
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));

const fmt = (v) => (typeof v === "number" ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : String(v));
let failed = 0;
for (const name of entries) {
  const mod = await import(pathToFileURL(path.join(here, `${name}.mjs`)).href);
  const started = Date.now();
  const { title, rows, ratios } = await mod.default();
  console.log(`\n## ${title}  (${name}, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  const width = Math.max(...rows.map((r) => r.name.length), 10);
  for (const r of rows) console.log(`  ${r.name.padEnd(width)}  ${fmt(r.value).padStart(10)} ${r.unit}`);
  for (const r of ratios ?? []) {
    const ok = r.target == null || r.value <= r.target;
    if (!ok) failed++;
    console.log(
      `  ratio ${r.name}: ${fmt(r.value)}${r.target != null ? `  (target ≤ ${r.target}: ${ok ? "met" : "MISSED"})` : ""}`,
    );
  }
}
console.log(
  `\n${failed === 0 ? "all ratio targets met" : `${failed} ratio target(s) missed`} (machine: ${process.arch}, ${(await import("node:os")).cpus().length} cores, node ${process.version})`,
);
