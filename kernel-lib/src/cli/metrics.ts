import { analyzeResult, metricsJson } from "../analysis/metrics/analyze";
import { attentionFlow } from "../analysis/metrics/flow";
import { rollout } from "../analysis/metrics/rollout";
import { readExtraction } from "../output/files/extractionDir";
import { encodeNpy } from "../output/files/npy";
import { replaceFileInDir } from "../output/files/replaceFile";
import type { Stack } from "../result/types";
import { parse, str, UsageError } from "./args";
import type { Command } from "./commands";
import { patternTable } from "./patternTable";

export const metricsCommand: Command = {
  name: "metrics",
  usage:
    "attnlens metrics DIR [--rollout] [--flow] [--patterns] [--stack encoder|decoder] [--tokens START:END] [--cut-tokens START:END]",
  summary: "per-head metrics and pattern labels of an extract directory → DIR/metrics.json (+ rollout.npy, flow.npy)",
  options: [
    ["--rollout", "also write DIR/rollout.npy (attention rollout across layers)"],
    ["--flow", "also write DIR/flow.npy (attention flow, max-flow over the layer graph)"],
    ["--patterns", "print the pattern label table"],
    ["--stack encoder|decoder", "the stack rollout and flow run over"],
    ["--tokens START:END", "flow rows of the top tokens START to END only (equal to those rows of the full flow)"],
    [
      "--cut-tokens START:END",
      "flow of the graph cut down to tokens START to END (cheaper for long inputs; not a slice of the full flow)",
    ],
  ],
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      {
        rollout: { type: "boolean" },
        flow: { type: "boolean" },
        patterns: { type: "boolean" },
        stack: { type: "string" },
        tokens: { type: "string" },
        "cut-tokens": { type: "string" },
      },
      1,
    );
    const dir = positionals[0];
    const stack = stackOption(str(values.stack));
    // An old metrics.json is replaced, not read: a damaged one must not stop its own repair.
    const { result } = readExtraction(dir, { metrics: false });
    const analysis = analyzeResult(result);
    for (const w of analysis.warnings ?? []) process.stderr.write(`attnlens metrics: warning: ${w}\n`);
    const written = ["metrics.json"];
    replaceFileInDir(dir, "metrics.json", `${JSON.stringify(metricsJson(analysis), null, 1)}\n`);
    if (values.rollout) {
      const r = rollout(result, { stack });
      replaceFileInDir(dir, "rollout.npy", encodeNpy(r.data, r.dims));
      written.push(`rollout.npy (${r.stack}, layers ${r.layers.join(",")})`);
    }
    if (values.flow) {
      const f = attentionFlow(result, {
        stack,
        tokens: tokensOption("--tokens", str(values.tokens)),
        cutTokens: tokensOption("--cut-tokens", str(values["cut-tokens"])),
      });
      replaceFileInDir(dir, "flow.npy", encodeNpy(f.data, f.dims));
      written.push(`flow.npy (${f.stack}, ${f.edges} edges)`);
    }
    if (values.patterns) process.stdout.write(`${patternTable(analysis)}\n`);
    process.stdout.write(`wrote ${written.join(", ")} in ${dir}\n`);
    return 0;
  },
};

function stackOption(v: string | undefined): Stack | undefined {
  if (v === undefined || v === "encoder" || v === "decoder") return v;
  throw new UsageError(`--stack must be encoder or decoder, not "${v}"`);
}

function tokensOption(name: string, v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+):(\d+)$/.exec(v);
  if (!m || Number(m[1]) >= Number(m[2])) throw new UsageError(`${name} must be START:END with START < END, e.g. 0:32`);
  return [Number(m[1]), Number(m[2])];
}
