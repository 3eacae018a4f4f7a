/**
 * Probe statistics (issue 12, item 4): `probe([...]).from().to().moreThan()` over N sentences of a
 * BERT-base-shaped result (12 layers × 12 heads, 32 tokens, seeded random maps), for N = 10 (exact
 * sign-flip test, 2¹⁰ patterns), 36 and 200 (9,999 seeded patterns): the whole probe (position test,
 * Holm, Wilson, sign-flip test) and the sign-flip test alone for its 144 heads. Reported only, no
 * target. Imports the compiled library: build kernel-lib first.
 */
import { createRequire } from "node:module";
import { median, timed } from "./common.mjs";

const require = createRequire(import.meta.url);
const { probe } = require("attnlens");
const { randomAttention } = require("attnlens/testing");
// not a public name: the compiled module itself
const { signFlipTest } = require("../kernel-lib/dist/analysis/probes/signFlip.js");

const LAYERS = 12;
const HEADS = 12;
const TOKENS = 32;

/** One sentence: "is" (token 29) should attend to "dog" (2) rather than "cars" (5). */
function sentence(i) {
  const words = Array.from({ length: TOKENS }, (_, j) => `w${j}`);
  words[2] = "dog";
  words[5] = "cars";
  words[TOKENS - 3] = "is";
  const tokens = words.map((text, id) => ({ text, id, word: null, special: false }));
  const dims = [1, HEADS, TOKENS, TOKENS];
  const sites = Array.from({ length: LAYERS }, (_, layer) => ({
    id: `encoder.self.${layer}`,
    stack: "encoder",
    kind: "self",
    layer,
    heads: HEADS,
    causal: false,
    node: "n",
    data: randomAttention({ dims, seed: 1000 * (i + 1) + layer }),
    dims,
  }));
  return { sites, provider: "cpu", fallbacks: [], masks: {}, tokens: { source: [tokens] } };
}

export default async function run() {
  const rows = [];
  for (const n of [10, 36, 200]) {
    const results = Array.from({ length: n }, (_, i) => sentence(i));
    let found;
    const whole = [];
    for (let k = 0; k < 3; k++)
      whole.push(await timed(() => (found = probe(results).from("is").to("dog").moreThan("cars"))));
    // 144 heads' paired differences of n sentences (values do not change the work)
    const differences = Array.from({ length: LAYERS * HEADS }, (_, h) =>
      Array.from({ length: n }, (_, i) => Math.sin(i + h) * 0.1),
    );
    const alone = [];
    for (let k = 0; k < 3; k++) alone.push(await timed(() => differences.forEach((d) => signFlipTest(d))));
    const how = found.sampleTest.exact
      ? `exact, ${found.sampleTest.permutations} patterns`
      : `${found.sampleTest.permutations} patterns`;
    rows.push({ name: `probe over ${n} sentences × 144 heads (${how})`, value: median(whole), unit: "ms" });
    rows.push({ name: `  of which the sign-flip test (144 heads)`, value: median(alone), unit: "ms" });
  }
  return { title: "Probe statistics over sentences (BERT-base shape, 32 tokens)", rows, ratios: [] };
}
