// The GPU check proper, started by run.sh with the bundle unpacked: probes the machine, runs each
// (provider, benchmark) in its own worker process with a time limit taken from one overall
// deadline, and writes the table (Markdown) and the figures (JSON) after every part, so a part
// that is killed still leaves the others' rows. A provider that cannot run is a row with its reason.
//
//   node bench.mjs --app DIR --libs DIR --out DIR [--bundle DIR] [--unpack-s S] [--quick]
//                  [--providers cpu,webgpu,cuda] [--budget-s 285]
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { probe } from "./probe.mjs";
import { renderMarkdown } from "./report.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = parseArgs(process.argv.slice(2));
const t0 = Date.now();
const quick = args.quick === true;
const unpackS = Number(args["unpack-s"] ?? 0);
// 5 minutes for the whole check, unpacking included, less a margin for writing the report.
const deadline = t0 + (Number(args["budget-s"] ?? 285) - unpackS) * 1000;
const providers = String(args.providers ?? "cpu,webgpu,cuda").split(",");
const plan = {
  tokens: quick ? [128] : [128, 512],
  layers: quick ? 2 : 12,
  reps: { extraction: quick ? 2 : 5, ingraph: quick ? 2 : 3 },
  limitS: { extraction: quick ? 60 : 75, ingraph: quick ? 60 : 90 },
};
/** Time kept for each part still to come, so a slow provider cannot take the others' turn. */
const RESERVE_S = quick ? 10 : 20;

const appDir = path.resolve(args.app);
const ortPkg = JSON.parse(fs.readFileSync(path.join(appDir, "node_modules/onnxruntime-node/package.json"), "utf8"));
const ortDir = path.join(appDir, "node_modules/onnxruntime-node/bin/napi-v6", process.platform, process.arch);
const attnlens = JSON.parse(fs.readFileSync(path.join(appDir, "node_modules/attnlens/package.json"), "utf8"));
const manifest = args.bundle ? JSON.parse(fs.readFileSync(path.join(args.bundle, "manifest.json"), "utf8")) : null;

const facts = probe({ ortDir, libs: path.resolve(args.libs) });
const report = {
  title: "attnlens GPU check",
  started: new Date(t0).toISOString(),
  mode: quick ? "quick" : "full",
  plan,
  software: {
    node: process.version,
    onnxruntimeNode: ortPkg.version,
    attnlens: attnlens.version,
    commit: manifest?.commit ?? null,
    bundleMiB: manifest ? manifest.bytes / 2 ** 20 : null,
    unpackS,
  },
  machine: facts.machine,
  vulkan: facts.vulkan,
  cuda: { ...facts.cuda, env: undefined },
  providers: {},
  rows: [],
  /** Each (provider, benchmark) part: its time limit and the seconds it took. */
  parts: [],
  totalS: null,
};

const jobs = providers.flatMap((provider) => ["extraction", "ingraph"].map((bench) => ({ provider, bench })));
for (let i = 0; i < jobs.length; i++) {
  const { provider, bench } = jobs[i];
  const skip = facts.skip[provider];
  const toCome = jobs.slice(i + 1).filter((j) => !facts.skip[j.provider]).length;
  const left = (deadline - Date.now()) / 1000 - RESERVE_S * toCome;
  const partStart = Date.now();
  const limitS = Math.min(plan.limitS[bench], Math.floor(left));
  let outcome;
  if (skip) outcome = { rows: [], reason: `not tried: ${skip}` };
  else if (limitS < 5) outcome = { rows: [], reason: "not run: the 5-minute budget was spent by the parts before" };
  else outcome = await runWorker(provider, bench, limitS);
  report.providers[provider] = { ...report.providers[provider], [bench]: outcome.reason ?? "ran" };
  report.parts.push({ provider, bench, limitS: skip ? 0 : limitS, seconds: (Date.now() - partStart) / 1000 });
  report.rows.push(...outcome.rows.map((r) => ({ ...r, ok: true })));
  const measured = new Set(outcome.rows.map((r) => r.tokens));
  for (const tokens of plan.tokens.filter((t) => !measured.has(t))) {
    report.rows.push({ provider, bench, tokens, ok: false, reason: outcome.reason ?? "no figure" });
  }
  report.totalS = (Date.now() - t0) / 1000 + unpackS;
  write(report, false);
}
write(report, true);

/** One worker under a time limit: its rows, and the reason when it did not finish. */
function runWorker(provider, bench, limitS) {
  return new Promise((resolve) => {
    const argv = [
      path.join(here, "worker.mjs"),
      appDir,
      provider,
      bench,
      plan.tokens.join(","),
      String(plan.reps[bench]),
      String(plan.layers),
    ];
    const child = spawn(process.execPath, argv, {
      env: { ...process.env, ...facts.env[provider] },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const rows = [];
    let error = null;
    let lastStage = "starting";
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      const lines = stdout.split("\n");
      stdout = lines.pop();
      for (const line of lines) {
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          continue; // a library's own print
        }
        if (msg.kind === "row") rows.push(msg);
        if (msg.kind === "error") error = msg.reason;
        if (msg.kind === "stage") lastStage = msg.what;
      }
    });
    child.stderr.on("data", (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, limitS * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      let reason = null;
      if (timedOut) reason = `not done within ${limitS} s (at: ${lastStage}): stopped`;
      else if (error) reason = error;
      else if (code !== 0) {
        const last = stderr.trim().split("\n").filter(Boolean).slice(-2).join(" ").replace(/\s+/g, " ");
        reason = `worker ${signal ? `killed by ${signal}` : `exited with ${code}`}: ${last.slice(0, 300) || "no message"}`;
      }
      resolve({ rows, reason });
    });
  });
}

function write(rep, final) {
  const out = path.resolve(args.out);
  fs.mkdirSync(out, { recursive: true });
  const md = renderMarkdown(rep);
  fs.writeFileSync(path.join(out, "gpu-check.json"), `${JSON.stringify(rep, null, 2)}\n`);
  fs.writeFileSync(path.join(out, "gpu-check.md"), md);
  if (final) process.stdout.write(md);
  else process.stderr.write(`gpu-check: ${rep.rows.length} rows after ${rep.totalS.toFixed(0)} s\n`);
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument "${argv[i]}"`);
    if (m[1] === "quick") out.quick = true;
    else out[m[1]] = m[2] ?? argv[++i];
  }
  for (const need of ["app", "libs", "out"]) {
    if (!out[need]) throw new Error(`--${need} is required (run.sh passes it)`);
  }
  return out;
}
