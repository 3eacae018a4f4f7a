import { describeInput } from "../run/feeds";
import { openModel } from "../run/openModel";
import { parse, providersOption } from "./args";
import type { Command } from "./commands";

export const inspectCommand: Command = {
  name: "inspect",
  usage: "attnlens inspect MODEL.onnx [--json] [--providers cpu,...]",
  summary: "list the attention sites found in a model, with its inputs and outputs",
  options: [
    ["MODEL.onnx", "the ONNX file to look into"],
    ["--json", "print the sites, inputs and outputs as JSON"],
    ["--providers LIST", "execution providers to try in order (default cpu)"],
  ],
  async run(argv) {
    const { values, positionals } = parse(argv, { json: { type: "boolean" }, providers: { type: "string" } }, 1);
    const model = await openModel(positionals[0], { providers: providersOption(values.providers) ?? ["cpu"] });
    try {
      const sites = model.sites.map(({ id, stack, kind, layer, heads, causal, node }) => ({
        id,
        stack,
        kind,
        layer,
        heads,
        causal,
        node,
      }));
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ sites, inputs: model.inputs, outputs: model.outputs }, null, 2)}\n`);
        return 0;
      }
      const out = [`${sites.length} attention sites:`];
      for (const s of sites) {
        out.push(
          `  ${s.id.padEnd(18)} heads ${String(s.heads || "?").padStart(3)}${s.causal ? "  causal" : "        "}  ${s.node}`,
        );
      }
      out.push("inputs:", ...model.inputs.map((i) => `  ${describeInput(i)}`), `outputs: ${model.outputs.join(", ")}`);
      for (const r of model.skipped) out.push(`not attention: ${r.node} (${r.reason})`);
      process.stdout.write(`${out.join("\n")}\n`);
      return 0;
    } finally {
      await model.release();
    }
  },
};
