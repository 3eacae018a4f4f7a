// One corpus job in a child process (bench/corpus.mjs): analyzeCorpus on N generated sentences of the
// demo model, then prints {inputs, seconds, maxRssMiB} as JSON. Its own process so that the peak RSS
// belongs to this job alone: VmHWM of /proc/self/status (getrusage's maxRSS would not do: Linux keeps
// it across exec, so a child reports its parent's peak when that is higher).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const lib = require("attnlens");
const [n, patterns] = [Number(process.argv[2]), process.argv[3] !== "no-patterns"];

const WORDS = "the cat dog keys animal street was were tired big small runs run to is are near".split(" ");
function* sentences(count) {
  let s = 7;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (let i = 0; i < count; i++) {
    yield Array.from({ length: 3 + Math.floor(next() * 12) }, () => WORDS[Math.floor(next() * WORDS.length)]).join(" ");
  }
}

const model = await lib.loadModel("tiny-agreement-bert", { providers: ["cpu"] });
const start = process.hrtime.bigint();
let last;
for await (const p of lib.analyzeCorpus(model, sentences(n), { batch: 16, patterns })) last = p;
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
await model.release();
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
const maxRssMiB = (hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS) / 1024;
console.log(JSON.stringify({ inputs: last.summary.inputs, seconds, maxRssMiB }));
