/** Repositories for the Hub tests: the BERT fixture as is, and re-saved with its weights in external data. */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { venvPython } from "../../test/pythonEnv";
import { real } from "./realFixtures";

export const run = promisify(execFile);

export const BERT_FILES = [
  "config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "onnx/model.onnx",
  "onnx/model_quantized.onnx",
];
export const EXTERNAL_FILES = [
  "config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "onnx/model.onnx",
  "onnx/model.onnx_data",
];

/** The BERT fixture with every initializer in onnx/model.onnx_data, saved by the onnx package itself, in `dir`. */
export async function externalDataRepo(dir: string): Promise<string> {
  mkdirSync(path.join(dir, "onnx"), { recursive: true });
  for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json"])
    cpSync(real(`bert_tfjs/${f}`), path.join(dir, f));
  // Asynchronous: a fake Hub may be answering from this same process.
  await run(venvPython(), [
    "-c",
    "import onnx, sys; m = onnx.load(sys.argv[1]); " +
      "onnx.save_model(m, sys.argv[2], save_as_external_data=True, all_tensors_to_one_file=True, location='model.onnx_data', size_threshold=0)",
    real("bert_tfjs/onnx/model.onnx"),
    path.join(dir, "onnx", "model.onnx"),
  ]);
  return dir;
}
