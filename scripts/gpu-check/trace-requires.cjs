// Preloaded (`node --require`) by pack.mjs into a short CPU run of worker.mjs: on exit, writes every
// file the CommonJS loader loaded to $ATTNLENS_TRACE_FILE, so the bundle holds the packages the
// benchmarks really load rather than the whole dependency tree.
const fs = require("node:fs");

process.on("exit", () => {
  const out = process.env.ATTNLENS_TRACE_FILE;
  if (out) fs.writeFileSync(out, `${Object.keys(require.cache).join("\n")}\n`);
});
