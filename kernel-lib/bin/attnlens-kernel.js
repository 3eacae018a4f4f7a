#!/usr/bin/env node
// The "TypeScript (attnlens)" Jupyter kernel: tslab with comms (live widgets).
// Usage (from a kernel.json): attnlens-kernel --config-path {connection_file}
const i = process.argv.indexOf("--config-path");
const configPath = i >= 0 ? process.argv[i + 1] : undefined;
if (!configPath) {
  console.error("usage: attnlens-kernel --config-path CONNECTION_FILE (Jupyter passes it from kernel.json)");
  process.exit(2);
}
let launch;
try {
  launch = require("../dist/kernel/launch.js");
} catch (e) {
  if (e && e.code === "MODULE_NOT_FOUND") {
    console.error("attnlens-kernel: the library is not built yet; run `npm run build` in the repository root");
    process.exit(2);
  }
  throw e;
}
try {
  launch.launchKernel({ configPath });
} catch (e) {
  console.error(`attnlens-kernel: ${e?.message ? e.message : e}`);
  process.exit(2);
}
