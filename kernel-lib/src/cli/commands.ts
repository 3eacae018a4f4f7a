import { extractCommand } from "./extract";
import { inspectCommand } from "./inspect";

export interface Command {
  name: string;
  usage: string;
  summary: string;
  run(argv: string[]): Promise<number>;
}

export const commands: Record<string, Command> = {
  inspect: inspectCommand,
  extract: extractCommand,
};
