/**
 * `attnlens demo` (the README's main job, `npm start`): the bundled agreement model on the seed
 * sentence → a report file, a short text summary (most focused heads, pattern counts, the
 * pronoun probe), and where to go next.
 */
import * as path from "node:path";
import { analyzeResult, type ResultMetrics } from "../analysis/metrics/analyze";
import { probe } from "../analysis/probes/probe";
import type { ProbeResult } from "../analysis/probes/types";
import { loadModel } from "../load/loadModel";
import { exportReport } from "../output/report/export";
import { parse, providersOption, str } from "./args";
import type { Command } from "./commands";

export const SEED_SENTENCE = "The animal didn't cross the street because it was too tired.";

export const demoCommand: Command = {
  name: "demo",
  usage: 'attnlens demo [--model NAME] [--text "..."] [--out report.html] [--providers cpu,...]',
  summary: "analyse a bundled demo model on the seed sentence: a report, the most focused heads, patterns, a probe",
  options: [
    ["--model NAME", "which demo model (attnlens models lists them; default tiny-agreement-bert)"],
    ["--text TEXT", `the text to analyse (default: "${SEED_SENTENCE}")`],
    ["--out FILE", "where to write the HTML report (default out/attnlens-demo.html)"],
    ["--providers LIST", "execution providers to try in order, e.g. cuda,cpu (default: cuda, webgpu, cpu)"],
  ],
  async run(argv) {
    const { values } = parse(
      argv,
      { model: { type: "string" }, text: { type: "string" }, out: { type: "string" }, providers: { type: "string" } },
      0,
    );
    const name = str(values.model) ?? "tiny-agreement-bert";
    const text = str(values.text) ?? SEED_SENTENCE;
    const out = path.resolve(str(values.out) ?? path.join("out", "attnlens-demo.html"));
    const model = await loadModel(name, { providers: providersOption(values.providers) });
    try {
      const result = await model.run(text);
      const analysis = analyzeResult(result);
      const probes = pronounProbe(result, text);
      // The report opens on the head that best answers the probe (else on the first head).
      const best = probes[0]?.matches[0];
      const report = await exportReport(result, out, {
        title: `${name}: ${text}`,
        ...(best ? { site: best.site, head: best.head } : {}),
      });
      const lines = [
        `attnlens demo: ${name} on "${text}" (${result.provider})`,
        `tokens: ${(result.tokens?.source?.[0] ?? []).map((t) => t.text).join(" ")}`,
        "",
        "most focused heads (lowest mean entropy, nats):",
        ...focusedHeads(analysis, 5),
        "",
        `patterns: ${patternCounts(analysis)}`,
        "",
        ...(probes.length
          ? probes.flatMap((r) => r.summary.split("\n"))
          : ["probe: (the seed words it/animal/street are not in the text)"]),
        "",
        `report: ${report.path}  (open it in any browser; it works offline)`,
        "notebooks: node scripts/setup-jupyter.mjs, then `jupyter lab notebooks/` (tslab kernel)",
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
      return 0;
    } finally {
      await model.release();
    }
  },
};

function focusedHeads(analysis: ResultMetrics, n: number): string[] {
  const heads = analysis.sites.flatMap((s) =>
    s.heads.map((h, k) => ({ id: s.site.id, head: h.head, entropy: h.entropy, label: s.patterns[k].label })),
  );
  return heads
    .filter((h) => Number.isFinite(h.entropy))
    .sort((a, b) => a.entropy - b.entropy)
    .slice(0, n)
    .map((h) => `  ${h.id} head ${h.head}: ${h.entropy.toFixed(3)} (${h.label})`);
}

function patternCounts(analysis: ResultMetrics): string {
  const counts = new Map<string, number>();
  for (const s of analysis.sites) for (const p of s.patterns) counts.set(p.label, (counts.get(p.label) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([label, n]) => `${label} ${n}`)
    .join(", ");
}

/** "Does `it` attend to `animal` more than to `street`?" — only where the words are in the text. */
function pronounProbe(result: Parameters<typeof probe>[0], text: string): ProbeResult[] {
  const words = new Set(text.toLowerCase().match(/[a-z]+/g) ?? []);
  if (!["it", "animal", "street"].every((w) => words.has(w))) return [];
  return [probe(result).from("it").to("animal").moreThan("street"), probe(result).from("it").to("animal").atLeast(0.3)];
}
