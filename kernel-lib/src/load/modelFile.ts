/** Reading one .onnx file, with one clear line for a directory, a missing or an empty file. */
import { readFileSync, statSync } from "node:fs";
import { AttnlensError } from "../errors";

export function readModelFile(file: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) {
      throw new AttnlensError(
        "BAD_MODEL",
        `${file} is a directory; give the .onnx file inside it (or use loadModel for model directories)`,
      );
    }
    size = st.size;
  } catch (e) {
    if (e instanceof AttnlensError) throw e;
    throw new AttnlensError(
      "BAD_MODEL",
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
    );
  }
  if (size === 0) throw new AttnlensError("BAD_MODEL", `${file} is empty (0 bytes): expected an ONNX model`);
  return readFileSync(file);
}
