/**
 * Reading a file of an extraction directory only if it really is inside it: a symlink (or a
 * linked folder) leading out of DIR is refused, so a directory received from someone else cannot
 * make attnlens read, and quote in an error, a file the user never named.
 */
import { readFileSync, realpathSync } from "node:fs";
import * as path from "node:path";
import { AttnlensError } from "../../errors";

export function readInsideDir(dir: string, file: string): Buffer {
  let real: string;
  let realDir: string;
  try {
    realDir = realpathSync(dir);
    real = realpathSync(file);
  } catch {
    return readFileSync(file); // missing: readFileSync gives the usual error, which callers word
  }
  if (path.dirname(real) !== realDir) {
    throw new AttnlensError(
      "BAD_INPUT",
      `${file} links to a file outside ${dir}; attnlens reads only the directory's own files: copy the file in`,
    );
  }
  return readFileSync(real);
}
