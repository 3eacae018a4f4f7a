// The figure of kernel-lib/docs/metrics.md "Norm-based attention": how much attention mass the
// special tokens ([CLS], [SEP], <s>, …) get under plain attention α and under norm-based
// attention α·‖f(x)‖ (rows renormalized), per layer (mean over heads and rows). Any model
// loadModel takes; default: the demo model on the seed sentence.
// Usage: npm run build && node scripts/norm-mass.mjs [MODEL] [TEXT]
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { loadModel, normWeighted } = require("attnlens");

const name = process.argv[2] ?? "tiny-agreement-bert";
const text = process.argv[3] ?? "The animal didn't cross the street because it was too tired.";
const model = await loadModel(name, { providers: ["cpu"], valueNorms: true });
const result = await model.run(text);
await model.release();
const tokens = result.tokens?.source?.[0] ?? result.tokens?.target?.[0] ?? [];
const weighted = normWeighted(result);

/** Mean over heads and target rows of the mass on special-token sources, for sample 0. */
function specialMass(site) {
  const [, H, T, S] = site.dims;
  let mass = 0;
  for (let h = 0; h < H; h++)
    for (let t = 0; t < T; t++)
      for (let j = 0; j < S; j++) if (tokens[j]?.special) mass += site.data[(h * T + t) * S + j];
  return mass / (H * T);
}

console.log(
  `${name}: "${text}" (${tokens.length} tokens, specials: ${tokens
    .filter((t) => t.special)
    .map((t) => t.text)
    .join(" ")})`,
);
console.log("| site | norms | special mass, α | special mass, α·‖f(x)‖ | change |");
console.log("| --- | --- | --- | --- | --- |");
let a = 0;
let b = 0;
result.sites.forEach((site, i) => {
  const x = specialMass(site);
  const y = specialMass(weighted.sites[i]);
  a += x;
  b += y;
  const kind = result.valueNorms?.find((n) => n.site === site.id)?.kind;
  console.log(`| ${site.id} | ${kind} | ${x.toFixed(3)} | ${y.toFixed(3)} | ${((y / x - 1) * 100).toFixed(0)} % |`);
});
const n = result.sites.length;
console.log(`| mean | | ${(a / n).toFixed(3)} | ${(b / n).toFixed(3)} | ${((b / a - 1) * 100).toFixed(0)} % |`);
