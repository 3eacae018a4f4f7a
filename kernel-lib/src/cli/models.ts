/** `attnlens models`: the bundled demo models, what each is for and the head roles measured in it. */
import { demoModelsDir, listDemoModels } from "../load/demoModels";
import { parse } from "./args";
import type { Command } from "./commands";

export const modelsCommand: Command = {
  name: "models",
  usage: "attnlens models [--json]",
  summary: "list the bundled demo models (use a name as SOURCE: attnlens extract tiny-induction-gpt --text …)",
  options: [["--json", "print them as JSON, with every measured head role"]],
  async run(argv) {
    const { values } = parse(argv, { json: { type: "boolean" } }, 0);
    const models = listDemoModels();
    if (values.json) {
      process.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
      return 0;
    }
    if (models.length === 0) {
      process.stdout.write(`no demo models installed in ${demoModelsDir()}\n`);
      return 0;
    }
    const lines: string[] = [];
    for (const m of models) {
      lines.push(`${m.name}  (${m.family}${m.modelType ? `, ${m.modelType}` : ""})${m.task ? `: ${m.task}` : ""}`);
      if (m.summary) lines.push(`    ${clip(m.summary, 300)}`);
      if (m.heads.length) {
        const roles = m.heads.map(
          (h) =>
            `${h.site} h${h.head} ${h.role}${h.condition ? ` [${h.condition}]` : ""}${h.score != null ? ` (${h.score.toFixed(2)})` : ""}`,
        );
        lines.push(`    heads: ${roles.join(", ")}`);
      }
    }
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  },
};

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1).trimEnd()}…`;
}
