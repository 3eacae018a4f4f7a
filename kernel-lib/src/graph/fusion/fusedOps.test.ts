/**
 * Discovery and decomposition read one fused-op table, so they agree: every op in it is reported
 * by discovery and either rewritten or refused with the table's reason by decomposition; an op
 * outside it is left to both.
 */
import { describe, expect, it } from "vitest";
import { AttnlensError } from "../../errors";
import { decodeModel } from "../onnx/decode";
import { DataType, encodeModel } from "../onnx/encode";
import { discoverSites } from "../sites/discover";
import { attentionGraph } from "../surgery/attentionGraph";
import { decomposeFusedAttention } from "./decompose";
import { FUSED_ATTENTION_OPS } from "./fusedOps";

function oneNode(opType: string, domain = "com.microsoft") {
  return decodeModel(encodeModelOf(opType, domain));
}

function encodeModelOf(opType: string, domain = "com.microsoft") {
  return encodeModel(
    {
      name: opType,
      nodes: [
        {
          name: "n",
          opType,
          domain,
          inputs: ["x"],
          outputs: ["y"],
          attributes: { num_heads: { i: 2 } },
        },
      ],
      inputs: [{ name: "x", elemType: DataType.FLOAT, shape: ["batch", "seq", 8] }],
      outputs: [{ name: "y", elemType: DataType.FLOAT, shape: ["batch", "seq", 8] }],
      initializers: [],
    },
    { "": 23, "com.microsoft": 1 },
  );
}

describe("the fused-op table", () => {
  it.each(Object.keys(FUSED_ATTENTION_OPS))("%s: discovery reports it, decomposition handles it", (op) => {
    const model = oneNode(op);
    expect(discoverSites(model).unexposable.map((r) => r.node)).toEqual(["n"]);
    const d = decomposeFusedAttention(model);
    const entry = FUSED_ATTENTION_OPS[op];
    if ("notDecomposed" in entry) {
      expect(d.unexposable).toEqual([{ node: "n", reason: `fused com.microsoft.${op}: ${entry.notDecomposed}` }]);
    } else {
      // One input is too few for any decomposer: it must say why instead of rewriting.
      expect(d.decomposed.length + d.unexposable.length).toBe(1);
      expect(d.unexposable[0]?.reason ?? "").toMatch(/cannot be decomposed/);
    }
  });

  it("knows the standard domain's Attention (opset 23) by its own name, and no other domain's", () => {
    const standard = oneNode("Attention", "");
    expect(discoverSites(standard).unexposable).toEqual([
      {
        node: "n",
        reason: "fused ai.onnx.Attention computes attention internally and does not output its probabilities",
      },
    ]);
    // One input is too few: decomposition says why instead of rewriting.
    expect(decomposeFusedAttention(standard).unexposable).toEqual([
      { node: "n", reason: "fused ai.onnx.Attention cannot be decomposed: it lacks one of Q, K, V" },
    ]);
    expect(discoverSites(oneNode("Attention", "com.example")).unexposable).toEqual([]);
  });

  it("leaves other com.microsoft ops to the runtime", () => {
    const model = oneNode("FastGelu");
    expect(discoverSites(model).unexposable).toEqual([]);
    expect(decomposeFusedAttention(model)).toEqual({ bytes: null, decomposed: [], unexposable: [] });
  });

  const firstLineOfRefusal = (bytes: Uint8Array) => {
    let error: unknown;
    try {
      attentionGraph(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AttnlensError);
    expect((error as AttnlensError).code).toBe("NO_ATTENTION");
    return (error as AttnlensError).message.split("\n")[0];
  };

  it("a graph whose attention is all in refused fused nodes says which op, and what to do, on its first line", () => {
    expect(firstLineOfRefusal(encodeModelOf("PackedAttention"))).toBe(
      "no attention found in the model: 1 fused attention node(s) (com.microsoft.PackedAttention) keep their " +
        "probabilities inside; use the export from before onnxruntime's transformer optimizer (or packing " +
        'conversion), or re-export it with attn_implementation="eager".',
    );
  });

  it("a graph with no Softmax but an attention op attnlens does not know says so, and what to do", () => {
    expect(firstLineOfRefusal(encodeModelOf("FlashAttention", "com.example"))).toBe(
      "no attention found in the model: it has no Softmax, and com.example.FlashAttention (unknown to attnlens) " +
        'computes attention inside one op; re-export the model with attn_implementation="eager".',
    );
  });
});
