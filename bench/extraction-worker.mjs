// Child process for bench/extraction.mjs: one session (plain or with maps exposed), two runs,
// prints the process's peak RSS in bytes.
import { createRequire } from "node:module";
import { bertFeeds } from "./common.mjs";

const require = createRequire(import.meta.url);
const [mode, tokens] = process.argv.slice(2);
const ort = require("onnxruntime-node");
const { bertLikeModel, BERT_BASE } = require("attnlens/testing");
const { openModel } = require("attnlens");
const bytes = bertLikeModel(BERT_BASE);
const session =
  mode === "plain"
    ? await ort.InferenceSession.create(bytes, { executionProviders: ["cpu"] })
    : await openModel(bytes, { providers: ["cpu"] });
const feeds = bertFeeds(ort, Number(tokens));
for (let i = 0; i < 2; i++) await session.run(feeds);
process.stdout.write(`${process.resourceUsage().maxRSS * 1024}\n`);
