/**
 * Surgery writes valid ONNX: every rewritten model (fixtures exposed, exposed + in-graph metrics,
 * constructed models, fused ops decomposed) keeps graph.node topologically sorted (checked here
 * in TypeScript) and passes onnx.checker.check_model(full_check=True) in the project's Python env.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runPython } from "../../test/pythonEnv";
import { AttnlensError } from "../src/errors";
import { decodeModel } from "../src/graph/onnx/decode";
import { editModel } from "../src/graph/onnx/encode";
import { firstOutOfOrder } from "../src/graph/onnx/topologicalOrder";
import { attentionGraph } from "../src/graph/surgery/attentionGraph";
import { bertLikeModel } from "../src/testing/construct/bertLike";
import { constructedModel } from "../src/testing/construct/constructedModel";
import { DECODER, ENCODER } from "./constructedDesigns";
import { FIXTURES } from "./fixtureFiles";
import { attentionCases, qAttentionCase } from "./fusedCases";
import { gqaCases, mhaCases } from "./fusedCasesMha";

const CHECK = `
import json, sys, onnx
out = {}
for f in sys.argv[1:]:
    try:
        onnx.checker.check_model(onnx.load(f, load_external_data=False), full_check=True)
        out[f] = None
    except Exception as e:
        out[f] = str(e).strip().splitlines()[0]
print(json.dumps(out))
`;

function onnxFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? onnxFiles(p) : f.endsWith(".onnx") ? [p] : [];
  });
}

/** A fused case's graph with a node after the fused op, so its replacement must go before that node. */
function withConsumer(bytes: Uint8Array): Uint8Array {
  const m = decodeModel(bytes);
  const outs = m.graph.outputs;
  return editModel(m, {
    addNodes: outs.map((o) => ({
      name: `after/${o.name}`,
      opType: "Identity",
      inputs: [o.name],
      outputs: [`${o.name}/after`],
    })),
    addOutputs: outs.map((o) => ({
      name: `${o.name}/after`,
      elemType: o.elemType ?? undefined,
      shape: o.shape ?? undefined,
    })),
  });
}

/** Rewritten models by label; models with no attention (e.g. a classifier's Softmax) have nothing to rewrite. */
function rewrittenModels(): Map<string, Uint8Array> {
  const models = new Map<string, Uint8Array>();
  const add = (label: string, source: Uint8Array, inGraph: boolean, valueNorms = false) => {
    try {
      models.set(label, attentionGraph(source, { inGraphMetrics: inGraph, valueNorms }).bytes);
    } catch (e) {
      if (!(e instanceof AttnlensError) || e.code !== "NO_ATTENTION") throw e;
    }
  };
  for (const file of onnxFiles(FIXTURES)) {
    const label = path.relative(FIXTURES, file);
    const bytes = readFileSync(file);
    add(`${label} exposed`, bytes, false);
    add(`${label} exposed + value norms`, bytes, false, true);
    // In-graph metrics need opset ≥ 11 and no past keys; where the plan refuses, it says so (other tests).
    try {
      add(`${label} exposed + in-graph metrics`, bytes, true);
    } catch (e) {
      if (!(e instanceof AttnlensError && e.code === "BAD_MODEL")) throw e;
    }
  }
  for (const [name, layers, causal] of [
    ["encoder", ENCODER, false],
    ["decoder", DECODER, true],
  ] as const) {
    const { bytes } = constructedModel({ layers: layers.map((l) => [...l]), causal });
    add(`constructed ${name} exposed`, bytes, false);
    add(`constructed ${name} exposed + in-graph metrics`, bytes, true);
  }
  const bert = bertLikeModel({ layers: 2, heads: 4, hidden: 32, intermediate: 64, vocab: 50, maxPositions: 16 });
  add("bertLike exposed + in-graph metrics", bert, true);
  for (const c of [...attentionCases(), qAttentionCase(), ...mhaCases(), ...gqaCases()]) {
    add(`${c.name} decomposed`, c.model, false);
    add(`${c.name} with a consumer, decomposed`, withConsumer(c.model), false);
  }
  return models;
}

describe("rewritten models are valid ONNX", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "attnlens-valid-onnx-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const models = rewrittenModels();

  it("covers every fixture, the constructed models and every fused case", () => {
    const labels = [...models.keys()];
    for (const fused of [
      "real/fused_bert/model.onnx exposed",
      "real/fused_gpt2/model.onnx exposed",
      "real/fused_gqa/model.onnx exposed",
    ])
      expect(labels).toContain(fused);
    expect(labels.filter((l) => l.endsWith("in-graph metrics")).length).toBeGreaterThanOrEqual(10);
    expect(labels).toContain("gpt2_like/model.onnx exposed + value norms");
    expect(labels.filter((l) => l.endsWith("with a consumer, decomposed")).length).toBe(
      [...attentionCases(), qAttentionCase(), ...mhaCases(), ...gqaCases()].length,
    );
  });

  it("keeps graph.node topologically sorted", () => {
    const unsorted = [...models].flatMap(([label, bytes]) => {
      const bad = firstOutOfOrder(decodeModel(bytes).graph);
      return bad ? [`${label}: ${bad.node} reads ${bad.input} before it is written`] : [];
    });
    expect(unsorted).toEqual([]);
  });

  it("passes onnx.checker.check_model(full_check=True)", () => {
    const files = [...models].map(([label, bytes], i) => {
      const file = path.join(dir, `${i}.onnx`);
      writeFileSync(file, bytes);
      return { label, file };
    });
    const verdicts = JSON.parse(
      runPython(
        CHECK,
        files.map((f) => f.file),
      ),
    ) as Record<string, string | null>;
    const failed = files.filter((f) => verdicts[f.file] !== null).map((f) => `${f.label}: ${verdicts[f.file]}`);
    expect(failed).toEqual([]);
    expect(Object.keys(verdicts).length).toBe(files.length);
  });
});
