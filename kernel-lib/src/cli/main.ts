/**
 * The `attnlens` command line: one small module per command; errors become one clear message
 * on stderr and a non-zero exit code, never a bare stack trace.
 */
import { AttnlensError } from "../errors";
import { UsageError } from "./args";
import { type Command, commands } from "./commands";

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  if (name === "--version") {
    process.stdout.write(`${require("../../package.json").version}\n`);
    return 0;
  }
  const command: Command | undefined = commands[name];
  if (!command) {
    process.stderr.write(`attnlens: error: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    return reportError(e, command);
  }
}

function reportError(e: unknown, command: Command): number {
  if (e instanceof UsageError) {
    process.stderr.write(`attnlens ${command.name}: error: ${e.message}\nusage: ${command.usage}\n`);
    return 2;
  }
  if (e instanceof AttnlensError) {
    process.stderr.write(`attnlens ${command.name}: error: ${e.message}\n`);
    return 1;
  }
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === "string" && err.syscall) {
    process.stderr.write(`attnlens ${command.name}: error: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(`attnlens ${command.name}: internal error: ${err?.message ?? String(e)}\n`);
  if (process.env.ATTNLENS_DEBUG) process.stderr.write(`${err?.stack}\n`);
  else process.stderr.write("(set ATTNLENS_DEBUG=1 for the stack trace, and please report it)\n");
  return 70;
}

function usage(): string {
  const lines = Object.values(commands).map((c) => `  ${c.usage}\n      ${c.summary}`);
  return `attnlens — extract, measure and report the attention of ONNX transformer models\n\nusage:\n${lines.join("\n")}\n`;
}
