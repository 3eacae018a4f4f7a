// Pattern labels against objective per-head scores (issue #12, "validation on real maps").
//
// For each bundled demo model, runs inputs of the kind the literature measures heads on, and scores
// every head from the raw maps, independently of attnlens's metric code:
//   previous   mean weight on position i−1 (Voita et al. 2019's positional heads; Clark et al. 2019)
//   self       mean weight on position i
//   special    mean weight on [CLS]/[SEP] (encoders) or on the start token at position 0 (decoders)
//              (Clark et al. 2019: heads putting > 50 % on [SEP]; Xiao et al. 2023: attention sinks)
//   prefix     Olsson et al. 2022's prefix-matching score on [BOS] S S, S random tokens: weight from
//              a token of the second copy to the token after its earlier occurrence
// A head is "objectively" previous / self / special / induction when its score passes the threshold
// below; the table says whether attnlens's label or its mixture components name it, and whether the
// scores support what the label claims.
//
//   node scripts/label-agreement.mjs            prints the table
//   node scripts/label-agreement.mjs --write    also writes it into kernel-lib/docs/metrics.md
//   node scripts/label-agreement.mjs --minilm [--write]   the same on the real pretrained
//       all-MiniLM-L6-v2 (the reference harness's export: .venv/bin/python -m refmodels build
//       --only minilm-fp32) over REAL_TEXTS, written next to the demo table
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Thresholds from the literature (fractions of the row's attention). */
export const THRESHOLDS = { previous: 0.5, self: 0.5, special: 0.5, induction: 0.4 };

/** Which objective kind each attnlens label (or mixture component) stands for. */
const LABEL_KINDS = {
  previous: "previous",
  diagonal: "self",
  induction: "induction",
  vertical: "special",
  sink: "special",
};

const BERT_TEXTS = [
  "The animal didn't cross the street because it was too tired.",
  "The animal didn't cross the street because it was too wide.",
  "The dog that chased the cats was tired.",
  "The keys that the man lost were on the table.",
];

/** Real sentences for the pretrained MiniLM: agreement with attractors, Winograd pairs, plain prose. */
export const REAL_TEXTS = [
  ...BERT_TEXTS,
  "The author that the guards like laughs.",
  "The trophy didn't fit into the suitcase because it was too big.",
  "The trophy didn't fit into the suitcase because it was too small.",
  "Paris is the capital and most populous city of France.",
  "She put the book on the shelf and then she left the room.",
  "After the storm passed, the children went outside to play in the puddles.",
  "Researchers found that attention heads often focus on the previous token.",
  "He said that he would come back tomorrow, but he never did.",
];

/** The reference harness's MiniLM export (fp32), as `measureAgreement`'s model list. */
export const MINILM = [{ name: "minilm-fp32", source: path.join(ROOT, ".cache", "refmodels", "minilm-fp32", "onnx") }];
const DEMO_MODELS = [{ name: "tiny-agreement-bert" }, { name: "tiny-induction-gpt" }];

/** [BOS] S S with S `n` distinct random words of the model's vocabulary (no specials). */
function repeatedRandom(modelDir, n, seed) {
  const vocab = Object.keys(JSON.parse(readFileSync(path.join(modelDir, "tokenizer.json"), "utf8")).model.vocab);
  const words = vocab.filter((w) => /^[a-z]+$/.test(w));
  const rand = require(path.join(ROOT, "kernel-lib", "dist", "testing")).seededRandom(seed);
  const chosen = [];
  while (chosen.length < n) {
    const w = words[Math.floor(rand() * words.length)];
    if (!chosen.includes(w)) chosen.push(w);
  }
  return `${chosen.join(" ")} ${chosen.join(" ")}`;
}

/** Mean over the valid rows of one head of `score(row, i)`, rows given as Float32Array slices. */
function meanOver(site, head, valid, rowsWanted, score) {
  const [B, H, T, S] = site.dims;
  let sum = 0;
  let n = 0;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < T; i++) {
      if (!valid(b, i) || !rowsWanted(b, i)) continue;
      const off = ((b * H + head) * T + i) * S;
      sum += score(site.data.subarray(off, off + S), b, i);
      n++;
    }
  }
  return n ? sum / n : Number.NaN;
}

/** Objective scores of every head of the model's self-attention sites. */
async function scoreModel(lib, { name, source }) {
  if (source && !existsSync(path.join(source, "tokenizer.json"))) {
    throw new Error(
      `label-agreement: no export of ${name} at ${source}; build it with .venv/bin/python -m refmodels build --only ${name}`,
    );
  }
  const model = await lib.loadModel(source ?? name, { providers: ["cpu"] });
  const dir = source ?? path.join(lib.demoModelsDir(), name);
  const decoder = model.info?.family === "decoder" || name.includes("gpt");
  const texts = decoder ? [repeatedRandom(dir, 20, 1), repeatedRandom(dir, 20, 2)] : source ? REAL_TEXTS : BERT_TEXTS;
  const result = await model.run(texts.length === 1 ? texts[0] : texts);
  const analysis = lib.analyzeResult(result);
  const rows = [];
  for (const [k, site] of result.sites.entries()) {
    if (site.kind !== "self") continue;
    const tokens = result.tokens[site.stack === "encoder" && result.tokens.source ? "source" : "target"] ?? [];
    const text = (b, j) => tokens[b]?.[j]?.text ?? "";
    const valid = (b, j) => tokens[b]?.[j] && !tokens[b][j].padding;
    const [, H, , S] = site.dims;
    for (let h = 0; h < H; h++) {
      const all = () => true;
      const previous = meanOver(
        site,
        h,
        valid,
        (_b, i) => i >= 1,
        (r, _b, i) => r[i - 1],
      );
      const self = meanOver(site, h, valid, all, (r, _b, i) => r[i]);
      const special = decoder
        ? meanOver(
            site,
            h,
            valid,
            (_b, i) => i >= 1,
            (r) => r[0],
          )
        : meanOver(site, h, valid, all, (r, b) => {
            let m = 0;
            for (let j = 0; j < S; j++) if (valid(b, j) && /^\[(CLS|SEP)\]$/.test(text(b, j))) m += r[j];
            return m;
          });
      // Second copy of S: position i (1-based after BOS) has its earlier occurrence at i − n.
      const n = 20;
      const induction = decoder
        ? meanOver(
            site,
            h,
            valid,
            (_b, i) => i > n + 1,
            (r, _b, i) => r[i - n + 1],
          )
        : Number.NaN;
      const pattern = analysis.sites[k].patterns[h];
      rows.push({ model: name, site: site.id, head: h, pattern, previous, self, special, induction });
    }
  }
  await model.release?.();
  return rows;
}

/** The kinds attnlens names for a head: its label and every mixture component (for recall). */
function labelKinds(pattern) {
  const kinds = new Set();
  const add = (name) => LABEL_KINDS[name] && kinds.add(LABEL_KINDS[name]);
  add(pattern.label);
  for (const c of pattern.components ?? []) add(c.pattern);
  return kinds;
}

/**
 * The kinds attnlens claims for a head (for precision): its label, and a component only when it
 * carries at least half the head's mass — a minor sink component is reported, not claimed.
 */
function claimedKinds(pattern) {
  const kinds = new Set();
  const add = (name) => LABEL_KINDS[name] && kinds.add(LABEL_KINDS[name]);
  add(pattern.label);
  for (const c of pattern.components ?? []) if (c.weight >= 0.5) add(c.pattern);
  return kinds;
}

/** Every head with its objective kinds, attnlens's kinds, and whether they agree. */
export async function measureAgreement(lib = require(path.join(ROOT, "kernel-lib")), models = DEMO_MODELS) {
  const rows = [];
  for (const spec of models) rows.push(...(await scoreModel(lib, spec)));
  for (const r of rows) {
    r.objective = new Set(Object.keys(THRESHOLDS).filter((k) => r[k] >= THRESHOLDS[k]));
    r.labelled = labelKinds(r.pattern);
    // Agreement on the kinds the objective scores can decide: each objective kind named by the label
    // or a component, and no claimed kind the scores contradict (score under half its threshold).
    r.missed = [...r.objective].filter((k) => !r.labelled.has(k));
    r.unsupported = [...claimedKinds(r.pattern)].filter((k) => !(r[k] >= THRESHOLDS[k] / 2));
    r.agrees = r.missed.length === 0 && r.unsupported.length === 0;
  }
  return rows;
}

const fmt = (v) => (Number.isNaN(v) ? "–" : v.toFixed(2));

export function agreementTable(rows) {
  const lines = [
    "| model | site | head | label (mixture) | previous | self | [CLS]/[SEP] or start | prefix match | objective | agrees |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    const parts = (r.pattern.components ?? []).map((c) => `${c.pattern} ${fmt(c.weight)}`).join(" + ");
    const label = `${r.pattern.label} ${fmt(r.pattern.confidence)}${parts ? ` (${parts})` : ""}`;
    lines.push(
      `| ${r.model} | ${r.site} | ${r.head} | ${label} | ${fmt(r.previous)} | ${fmt(r.self)} | ${fmt(r.special)} | ${fmt(r.induction)} | ${[...r.objective].join(", ") || "–"} | ${r.agrees ? "yes" : `no${r.missed.length ? ` (missed ${r.missed.join(", ")})` : ""}${r.unsupported.length ? ` (unsupported ${r.unsupported.join(", ")})` : ""}`} |`,
    );
  }
  const agree = rows.filter((r) => r.agrees).length;
  lines.push("", `${agree} of ${rows.length} heads agree.`);
  return lines.join("\n");
}

const minilm = process.argv.includes("--minilm");
const START = minilm ? "<!-- label-agreement-minilm:start -->" : "<!-- label-agreement:start -->";
const END = minilm ? "<!-- label-agreement-minilm:end -->" : "<!-- label-agreement:end -->";
const DEMO_END = "<!-- label-agreement:end -->";

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const table = agreementTable(await measureAgreement(undefined, minilm ? MINILM : DEMO_MODELS));
  process.stdout.write(`${table}\n`);
  if (process.argv.includes("--write")) {
    const doc = path.join(ROOT, "kernel-lib", "docs", "metrics.md");
    const text = readFileSync(doc, "utf8");
    const block = `${START}\n${table}\n${END}`;
    const minilmIntro = `The same comparison on the real pretrained all-MiniLM-L6-v2 (6 layers × 12 heads; the reference harness's fp32 export, \`.venv/bin/python -m refmodels build --only minilm-fp32\`) over ${REAL_TEXTS.length} real sentences in one padded batch, written by \`node scripts/label-agreement.mjs --minilm --write\` (no prefix-matching score: it is measured on a decoder's repeated random tokens).`;
    const next = text.includes(START)
      ? text.replace(new RegExp(`${START}[\\s\\S]*?${END}`), block)
      : minilm && text.includes(DEMO_END)
        ? text.replace(DEMO_END, `${DEMO_END}\n\n${minilmIntro}\n\n${block}`)
        : `${text.trimEnd()}\n\n## Labels against objective head scores\n\nWritten by \`node scripts/label-agreement.mjs --write\`: every self-attention head of the demo models, its label, and the scores the literature uses (previous-token mass, self mass, [CLS]/[SEP] or start-token mass, Olsson et al.'s prefix-matching score on repeated random tokens), with the thresholds ${JSON.stringify(THRESHOLDS)}.\n\n${block}\n`;
    writeFileSync(doc, next);
  }
}
