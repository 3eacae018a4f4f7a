/**
 * `attnlens expose MODEL -o OUT.onnx [--ingraph-metrics] [--value-norms]`: writes the attention-exposing model
 * and its manifest (OUT.attnlens.json, see graph/surgery/manifest.ts) for use outside attnlens.
 * Writes exactly those two files, both in OUT's folder, which must exist.
 */
import { existsSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { AttnlensError } from "../errors";
import { exposeModel } from "../graph/surgery/exposeModel";
import { chooseLayout, isLayoutProblem, listModelDirectory } from "../load/layout";
import { parse, str, UsageError } from "./args";
import type { Command } from "./commands";

export const exposeCommand: Command = {
  name: "expose",
  usage: "attnlens expose MODEL -o OUT.onnx [--ingraph-metrics] [--value-norms]",
  summary:
    "write MODEL (.onnx file or model directory) with every attention site's probabilities as graph outputs " +
    "to OUT.onnx, and OUT.attnlens.json describing each added output (for Python onnxruntime or other runtimes)",
  options: [
    ["-o, --output OUT.onnx", "where to write the exposed model (required; OUT.attnlens.json goes beside it)"],
    ["--ingraph-metrics", "also add per-head metrics and rollout as graph outputs"],
    ["--value-norms", "also add each site's value-vector norms [batch, heads, source] (norm-based attention)"],
  ],
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      {
        output: { type: "string", short: "o" },
        "ingraph-metrics": { type: "boolean" },
        "value-norms": { type: "boolean" },
      },
      1,
    );
    const out = str(values.output);
    if (!out) throw new UsageError("-o OUT.onnx is required");
    if (!out.endsWith(".onnx")) throw new UsageError(`-o ${out}: the exposed model's name must end in .onnx`);
    const file = modelFile(positionals[0]);
    const target = path.resolve(out);
    if (target === path.resolve(file))
      throw new AttnlensError("BAD_INPUT", `-o ${out} would overwrite the model itself`);
    const folder = path.dirname(target);
    if (!existsSync(folder) || !statSync(folder).isDirectory())
      throw new AttnlensError("BAD_INPUT", `cannot write ${out}: folder ${folder} does not exist`);
    const exposed = exposeModel(file, {
      output: target,
      inGraphMetrics: values["ingraph-metrics"] === true,
      valueNorms: values["value-norms"] === true,
    });
    const manifestFile = target.replace(/\.onnx$/, ".attnlens.json");
    write(target, exposed.bytes, out);
    write(manifestFile, `${JSON.stringify(exposed.manifest, null, 2)}\n`, manifestFile);
    const added = exposed.manifest.attention.filter((a) => !a.existing).length;
    process.stdout.write(
      `wrote ${out} (${exposed.manifest.attention.length} attention sites, ${added} outputs added) and ${path.basename(manifestFile)}\n`,
    );
    return 0;
  },
};

/** An .onnx file as given, or the single model file of a model directory. */
function modelFile(source: string): string {
  if (!existsSync(source)) throw new AttnlensError("MISSING_FILES", `no such file or directory: ${source}`);
  if (!statSync(source).isDirectory()) return source;
  const layout = chooseLayout(listModelDirectory(source));
  if (isLayoutProblem(layout))
    throw new AttnlensError("MISSING_FILES", `no ONNX model in ${source}: ${layout.problem}`);
  if (layout.kind === "split") {
    throw new AttnlensError(
      "BAD_INPUT",
      `${source} holds two models (${layout.encoder}, ${layout.decoder}): expose each file on its own`,
    );
  }
  return path.join(source, ...(layout.model as string).split("/"));
}

function write(file: string, data: Uint8Array | string, shown: string): void {
  try {
    writeFileSync(file, data);
  } catch (e) {
    throw new AttnlensError(
      "BAD_INPUT",
      `cannot write ${shown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}
