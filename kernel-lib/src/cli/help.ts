/**
 * `attnlens COMMAND --help`, `-h` and `attnlens help COMMAND`: one command's usage, what it does and
 * its options. Handled before the command parses its arguments, so every command gets it, whatever
 * its own options are.
 */
import type { Command } from "./commands";

const WIDEST_FLAG = 26;

/** True when the arguments ask for help: `--help` or `-h` before a `--` that ends the options. */
export function asksForHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

export function commandHelp(command: Command): string {
  const options: (readonly [string, string])[] = [...(command.options ?? []), ["-h, --help", "show this help"]];
  const width = Math.min(WIDEST_FLAG, Math.max(...options.map(([flag]) => flag.length)));
  const lines = [`usage: ${command.usage}`, "", `${command.summary}.`, "", "options:"];
  for (const [flag, what] of options) {
    // A flag too wide for the column gets its description on the next line.
    lines.push(flag.length > width ? `  ${flag}\n  ${"".padEnd(width)}  ${what}` : `  ${flag.padEnd(width)}  ${what}`);
  }
  return `${lines.join("\n")}\n`;
}
