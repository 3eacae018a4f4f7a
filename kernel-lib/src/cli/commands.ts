import { corpusCommand } from "./corpus";
import { demoCommand } from "./demo";
import { exposeCommand } from "./expose";
import { extractCommand } from "./extract";
import { inspectCommand } from "./inspect";
import { longCommand } from "./long";
import { metricsCommand } from "./metrics";
import { modelsCommand } from "./models";
import { reportCommand } from "./report";
import { suiteCommand } from "./suite";

export interface Command {
  name: string;
  usage: string;
  summary: string;
  /** `[flag, what it does]` for `attnlens COMMAND --help` (the usage line already lists them). */
  options?: readonly (readonly [string, string])[];
  run(argv: string[]): Promise<number>;
}

export const commands: Record<string, Command> = {
  demo: demoCommand,
  inspect: inspectCommand,
  extract: extractCommand,
  expose: exposeCommand,
  models: modelsCommand,
  metrics: metricsCommand,
  corpus: corpusCommand,
  long: longCommand,
  report: reportCommand,
  suite: suiteCommand,
};
