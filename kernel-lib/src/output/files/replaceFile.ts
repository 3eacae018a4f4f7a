/**
 * Writing a file of an extraction directory (metrics.json, rollout.npy, …) by replacing it:
 * the bytes go to a new temporary file beside it, which is then renamed over the old name. A
 * symlink planted at that name is replaced, never followed, so nothing is written outside DIR,
 * and a reader never sees a half-written file.
 */
import { randomBytes } from "node:crypto";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";

export function replaceFileInDir(dir: string, name: string, data: string | Uint8Array): void {
  if (name !== path.basename(name)) throw new Error(`replaceFileInDir: "${name}" is not a plain file name`);
  const target = path.join(dir, name);
  const temp = path.join(dir, `.${name}.${randomBytes(6).toString("hex")}.tmp`);
  // "wx" creates the file or fails: an existing name (or a symlink) there is never opened.
  writeFileSync(temp, data, { flag: "wx" });
  try {
    renameSync(temp, target);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}
