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

/**
 * A model whose only external tensor sits in the branches of an If (as a merged decoder's may):
 * onnx/model.onnx + onnx/branch.bin, saved by the onnx package.
 */
export async function subgraphDataRepo(dir: string): Promise<string> {
  mkdirSync(path.join(dir, "onnx"), { recursive: true });
  cpSync(real("bert_tfjs/config.json"), path.join(dir, "config.json"));
  await run(venvPython(), [
    "-c",
    `
import sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
def branch(name):
    w = numpy_helper.from_array(np.arange(64, dtype=np.float32), name + "_w")
    n = helper.make_node("Identity", [name + "_w"], [name + "_out"])
    return helper.make_graph([n], name, [], [helper.make_tensor_value_info(name + "_out", TensorProto.FLOAT, [64])], [w])
node = helper.make_node("If", ["cond"], ["y"], then_branch=branch("then"), else_branch=branch("else"))
g = helper.make_graph([node], "g", [helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [64])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
onnx.save_model(m, sys.argv[1], save_as_external_data=True, all_tensors_to_one_file=True, location="branch.bin", size_threshold=0)
`,
    path.join(dir, "onnx", "model.onnx"),
  ]);
  return dir;
}
