// Child process of bench/openModel.mjs: opens one model file and prints, as JSON, the RSS before
// the open and the peak RSS during it (KiB). The peak is the process's own high-water mark
// (/proc/self/status VmHWM, reset first): getrusage's maxRSS would also count the parent's RSS at
// fork. Modes: "attnlens" (openModel on the path), "ort" (onnxruntime alone on the same file) or
// "ort-bytes" (onnxruntime given the file's bytes: the floor for any surgery done in memory).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const [file, mode, dist = "../kernel-lib/dist"] = process.argv.slice(2);
const ort = require("onnxruntime-node");
const { openModel } = require(`${dist}/index.js`);

const status = (field) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync("/proc/self/status", "utf8"))[1]);
writeFileSync("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
const before = status("VmRSS");
const start = Date.now();
const ortOptions = { executionProviders: ["cpu"], logSeverityLevel: 3 };
const opened =
  mode === "ort"
    ? await ort.InferenceSession.create(file, ortOptions)
    : mode === "ort-bytes"
      ? await ort.InferenceSession.create(readFileSync(file), ortOptions)
      : await openModel(file, { providers: ["cpu"] });
const ms = Date.now() - start;
const peak = status("VmHWM");
const after = status("VmRSS");
await opened.release();
process.stdout.write(JSON.stringify({ before, peak, after, ms }));
