/**
 * The `attnlens` command line: one small module per command; errors become one clear message
 * on stderr and a non-zero exit code, never a bare stack trace.
 */
import { AttnlensError } from "../errors";
import { UsageError } from "./args";
import { argvTooLong } from "./argvGuard";
import { type Command, commands } from "./commands";
import { asksForHelp, commandHelp } from "./help";

export async function main(argv: string[]): Promise<number> {
  const tooLong = argvTooLong();
  if (tooLong) {
    process.stderr.write(`attnlens: error: ${tooLong}\n`);
    return 2;
  }
  const [name, ...rest] = argv;
  if (!name || name === "-h" || name === "--help") {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  if (name === "help") return help(rest[0]);
  if (name === "--version") {
    process.stdout.write(`${require("../../package.json").version}\n`);
    return 0;
  }
  const command = findCommand(name);
  if (!command) {
    process.stderr.write(`attnlens: error: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  if (asksForHelp(rest)) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    return reportError(e, command);
  }
}

/** `attnlens help [COMMAND]`. */
function help(name: string | undefined): number {
  if (!name) {
    process.stdout.write(usage());
    return 0;
  }
  const command = findCommand(name);
  if (!command) {
    process.stderr.write(`attnlens: error: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  process.stdout.write(commandHelp(command));
  return 0;
}

/** Own keys only: "constructor" or "__proto__" are not commands. */
function findCommand(name: string): Command | undefined {
  return Object.hasOwn(commands, name) ? commands[name] : undefined;
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
  return (
    "attnlens — extract, measure and report the attention of ONNX transformer models\n\nusage:\n" +
    `${lines.join("\n")}\n\nattnlens COMMAND --help (or attnlens help COMMAND) describes one command's options.\n`
  );
}
