/**
 * Where `extract`'s texts come from: the command line (`--text "..."`), a file (`--text-file FILE`)
 * or standard input (`--text -`). Files and stdin exist because long texts cannot go on the command
 * line (see argvGuard.ts); both lose one final newline, as `$(cat FILE)` would.
 */
import { readFileSync } from "node:fs";
import { AttnlensError } from "../errors";
import { str, UsageError } from "./args";

type Values = Record<string, string | boolean | undefined>;

/** The text options that also come as `--NAME-file FILE` and `--NAME -`. */
export const TEXT_OPTIONS = ["text", "pair", "target"] as const;
export type TextOption = (typeof TEXT_OPTIONS)[number];

/** Standard input, named by "-". */
const STDIN = "-";

/** The texts given by `--text`/`--text-file`, `--pair`/`--pair-file`, `--target`/`--target-file`. */
export function readTexts(values: Values, readStdin: () => string = readStandardInput): Values {
  const fromStdin = TEXT_OPTIONS.filter((o) => values[o] === STDIN);
  if (fromStdin.length > 1) {
    throw new UsageError(`only one text can come from standard input (--${fromStdin.join(" -, --")} -)`);
  }
  const texts: Values = {};
  for (const option of TEXT_OPTIONS) {
    const inline = str(values[option]);
    const file = str(values[`${option}-file`]);
    if (inline !== undefined && file !== undefined) {
      throw new UsageError(`give either --${option} or --${option}-file, not both`);
    }
    if (inline === STDIN) texts[option] = withoutFinalNewline(readStdin());
    else if (file !== undefined) texts[option] = withoutFinalNewline(readTextFile(option, file));
    else texts[option] = inline;
  }
  return texts;
}

function readStandardInput(): string {
  try {
    return readFileSync(0, "utf8");
  } catch (e) {
    throw new AttnlensError(
      "BAD_INPUT",
      `cannot read the text from standard input (--text -): ${(e as Error).message}`,
    );
  }
}

function readTextFile(option: TextOption, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "it is a directory" : err.message;
    throw new AttnlensError("BAD_INPUT", `cannot read --${option}-file ${file}: ${why}`);
  }
}

function withoutFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, "");
}
