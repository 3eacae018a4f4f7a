/**
 * The numpy reference for value norms (Kobayashi et al. 2020): Python adds the value projection's
 * output (x·W_V + b_V, by its torch module name) as a graph output, runs onnxruntime, splits heads
 * itself and computes ‖(x_j W_V + b_V)_h · W_O[h·d:(h+1)·d, :]‖ from the output projection's
 * initializer. Shared by the value-norm tests.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { runPython } from "../../test/pythonEnv";
import type { Fixture } from "./fixtureFiles";

export const NUMPY_NORMS = `
import json, sys
import numpy as np
import onnx, onnxruntime as ort
from onnx import helper, numpy_helper
spec = json.load(open(sys.argv[1]))
m = onnx.load(spec["model"])
nodes = {n.name: n for n in m.graph.node}
inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
values = [nodes[s["value"]].output[0] for s in spec["sites"]]
for v in set(values):
    m.graph.output.append(helper.make_empty_tensor_value_info(v))
feeds = {k: np.array(f["data"], dtype={"int64": np.int64, "int32": np.int32, "float32": np.float32}[f["type"]]).reshape(f["dims"]) for k, f in json.load(open(spec["feeds"])).items()}
sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
got = dict(zip(values, sess.run(values, feeds)))
out = []
for s, v in zip(spec["sites"], values):
    B, H, S = s["dims"]
    x = got[v].astype(np.float64).reshape(B, S, -1)[:, :, s["columns"][0]:s["columns"][1]]
    d = x.shape[-1] // H
    w = inits[nodes[s["projection"]].input[1]].astype(np.float64)
    n = np.zeros((B, H, S))
    for h in range(H):
        n[:, h, :] = np.linalg.norm(x[:, :, h * d:(h + 1) * d] @ w[h * d:(h + 1) * d, :], axis=-1)
    out.append(n.ravel().tolist())
print(json.dumps(out))
`;

export interface RefSite {
  /** Node whose output is x·W_V + b_V (by torch module name). */
  value: string;
  /** Columns of that output holding V (all, or the V third of a fused QKV projection). */
  columns: [number, number];
  /** The output projection's MatMul/Gemm node. */
  projection: string;
}

export const ALL: [number, number] = [0, 1 << 30];
export const bert = (l: number): RefSite => ({
  value: `/encoder/layer.${l}/attention/self/value/Add`,
  columns: ALL,
  projection: `/encoder/layer.${l}/attention/output/dense/MatMul`,
});
export const gpt2 = (l: number): RefSite => ({
  value: `/transformer/h.${l}/attn/c_attn/Gemm`,
  columns: [64, 96],
  projection: `/transformer/h.${l}/attn/c_proj/Gemm`,
});
export const bart = (stack: string, attn: string, l: number): RefSite => ({
  value: `/model/${stack}/layers.${l}/${attn}/v_proj/Add`,
  columns: ALL,
  projection: `/model/${stack}/layers.${l}/${attn}/out_proj/MatMul`,
});

/** numpy's norms per site (flattened [B, H, S]) for the fixture's feeds. */
export function numpyNorms(fx: Fixture, refSites: RefSite[], dims: number[][], dir: string): number[][] {
  const file = path.join(dir, `${path.basename(fx.dir)}.json`);
  const sites = refSites.map((r, i) => ({ ...r, dims: dims[i] }));
  writeFileSync(file, JSON.stringify({ model: fx.modelPath, feeds: path.join(fx.dir, "feeds.json"), sites }));
  return JSON.parse(runPython(NUMPY_NORMS, [file]));
}
