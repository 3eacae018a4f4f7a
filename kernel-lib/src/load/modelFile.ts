/**
 * Reading one .onnx file, with one clear line for a directory, a missing or an empty file, into an
 * arena with room in front so surgery can edit the model in place.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { AttnlensError } from "../errors";

/** Room for what surgery adds (outputs, decomposed nodes, metric subgraphs): 4 MiB + 1/64 of the model. */
const ROOM = (size: number) => 4 * 2 ** 20 + Math.ceil(size / 64);

/** The file's bytes (`bytes`) at the end of a larger buffer (`arena`) that surgery may overwrite. */
export function readModelArena(file: string): { arena: Uint8Array; bytes: Uint8Array } {
  const size = checkModelFile(file);
  const room = ROOM(size);
  const arena = new Uint8Array(room + size);
  const fd = openSync(file, "r");
  try {
    let done = 0;
    while (done < size) {
      const n = readSync(fd, arena, room + done, size - done, done);
      if (n === 0) throw new AttnlensError("BAD_MODEL", `cannot read ${file}: it shrank while being read`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return { arena, bytes: arena.subarray(room) };
}

function checkModelFile(file: string): number {
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
  return size;
}
