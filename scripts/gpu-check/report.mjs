// The GPU check's Markdown: the machine, what each provider did, and one table per benchmark.
// A row that has no figures carries its reason in the last column. Reasons come from libraries
// and the machine: escaped so they cannot break the table.

/** The report (bench.mjs's JSON) as Markdown. */
export function renderMarkdown(r) {
  const m = r.machine;
  const s = r.software;
  const lines = [
    `# ${r.title}`,
    "",
    `- Started ${r.started}, ${r.mode} mode, ${fmt(r.totalS, 1)} s in all (unpacking ${fmt(s.unpackS, 1)} s).`,
    `- GPU: ${esc(m.gpu.text)}; libcuda: ${esc(m.libcuda ?? "not found")}.`,
    `- CPU: ${m.cpus} cores (${esc(m.cpuModel)}), ${m.memoryGiB} GiB; ${esc(m.os)}, Linux ${esc(m.kernel)}.`,
    `- Node ${s.node}, onnxruntime-node ${s.onnxruntimeNode}, attnlens ${s.attnlens}` +
      (s.commit ? ` (commit ${s.commit.slice(0, 10)})` : "") +
      (s.bundleMiB ? `, bundle ${fmt(s.bundleMiB, 1)} MiB.` : "."),
    `- Vulkan: loader ${Object.entries(r.vulkan.libraries)
      .map(([k, v]) => `${k} ${esc(v)}`)
      .join(
        ", ",
      )}; drivers: ${esc(r.vulkan.icd.files || "none")} (${esc(r.vulkan.icd.source)}); vulkaninfo: ${esc(r.vulkan.vulkaninfo)}.`,
    `- CUDA 12 path: provider libraries ${esc(r.cuda.providerLibs ?? "not found")}; ${Object.entries(r.cuda.libraries)
      .map(([k, v]) => `${k} ${v ? "found" : "missing"}`)
      .join(", ")}.`,
    "",
    "| provider | extraction (time of limit) | in-graph metrics (time of limit) |",
    "| --- | --- | --- |",
    ...Object.entries(r.providers).map(
      ([p, st]) => `| ${p} | ${status(r, p, "extraction", st)} | ${status(r, p, "ingraph", st)} |`,
    ),
    "",
    `## Extraction: BERT-base shape (${r.plan.layers} layers × 12 heads, hidden 768), plain inference vs every map exposed and copied to the host`,
    "",
    `Medians of ${r.plan.reps.extraction} interleaved runs; "ran on" is the provider attnlens reports (result.provider). ` +
      "analyzeResult (per-head metrics and pattern labels, always on the CPU cores) runs on each exposed run's maps right after it.",
    "",
    "| provider | ran on | tokens | plain (ms) | maps exposed (ms) | exposed / plain | analyzeResult (ms) | analyzeResult / plain | maps (MiB) | session start (s) | first run (s) | note |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rowsOf(r, "extraction").map((x) =>
      x.ok
        ? `| ${x.provider} | ${x.ran} | ${x.tokens} | ${fmt(x.plainMs, 1)} | ${fmt(x.exposedMs, 1)} | ${fmt(x.ratio, 2)} | ${fmt(x.analyzeMs, 1)} | ${fmt(x.analysisShare, 3)} | ${fmt(x.mapMiB, 1)} | ${fmt(x.sessionStartS, 1)} | ${fmt(x.firstRunS, 2)} | ${note(x)} |`
        : `| ${x.provider} | — | ${x.tokens} | — | — | — | — | — | — | — | — | ${esc(x.reason)} |`,
    ),
    "",
    "## In-graph metrics: `measure()` (openModel with inGraphMetrics) vs `run()` + host `analyzeResult`",
    "",
    `Medians of ${r.plan.reps.ingraph} runs. max |Δ|: largest difference between in-graph and host row metrics.`,
    "",
    "| provider | ran on | tokens | run() + analyzeResult (ms) | measure() (ms) | measure({ rollout }) (ms) | measure / host | to host (MiB) | maps (MiB) | max \\|Δ\\| | note |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rowsOf(r, "ingraph").map((x) =>
      x.ok
        ? `| ${x.provider} | ${x.ran} | ${x.tokens} | ${fmt(x.hostMs, 1)} | ${fmt(x.measureMs, 1)} | ${fmt(x.measureRolloutMs, 1)} | ${fmt(x.ratio, 2)} | ${fmt(x.toHostMiB, 2)} | ${fmt(x.mapMiB, 1)} | ${x.maxDiff.toExponential(1)} | ${note(x)} |`
        : `| ${x.provider} | — | ${x.tokens} | — | — | — | — | — | — | — | ${esc(x.reason)} |`,
    ),
    "",
  ];
  return `${lines.join("\n")}\n`;
}

/** What a part did, and how long it took against its limit. */
function status(r, provider, bench, st) {
  const part = r.parts?.find((x) => x.provider === provider && x.bench === bench);
  const time = part?.limitS ? ` (${fmt(part.seconds, 0)} s of ${part.limitS} s)` : "";
  return `${esc(st[bench] ?? "—")}${time}`;
}

function rowsOf(r, bench) {
  return r.rows.filter((x) => x.bench === bench);
}

function note(x) {
  const parts = [];
  if (x.ran !== x.provider) parts.push(`asked for ${x.provider}, ran on ${x.ran}`);
  for (const f of x.fallbacks ?? []) parts.push(`${f.provider} refused: ${f.reason}`);
  if (x.nanMismatches) parts.push(`${x.nanMismatches} NaN mismatches`);
  return esc(parts.join("; "));
}

function fmt(v, digits) {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "—";
}

/** Table-safe text: no pipes, no line breaks, no HTML. */
function esc(s) {
  return String(s ?? "")
    .replace(/\s+/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|")
    .trim();
}
