import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { decodeModel } from "../onnx/decode";
import { exposeSites } from "../surgery/exposeSites";
import { isTriangularConstant } from "./causal";
import { discoverSites } from "./discover";

const fixture = (name: string) =>
  decodeModel(readFileSync(path.join(__dirname, "../../../test/fixtures", name, "model.onnx")));

describe("site discovery details", () => {
  it("reuses attentions the model already outputs instead of adding duplicates", () => {
    for (const name of ["optimum_outputs_encoder", "optimum_outputs_encdec"]) {
      const model = fixture(name);
      const { sites } = discoverSites(model);
      expect(sites.every((s) => s.existingOutput)).toBe(true);
      expect(sites.map((s) => s.output)).toEqual(
        name === "optimum_outputs_encoder"
          ? ["attentions.0", "attentions.1"]
          : [
              "encoder_attentions.0",
              "encoder_attentions.1",
              "decoder_attentions.0",
              "cross_attentions.0",
              "decoder_attentions.1",
              "cross_attentions.1",
            ],
      );
      const edited = decodeModel(exposeSites(model, sites));
      expect(edited.graph.outputs.length).toBe(model.graph.outputs.length);
    }
  });

  it("adds one output per site to a model that has none", () => {
    const model = fixture("bart_like");
    const { sites } = discoverSites(model);
    const edited = decodeModel(exposeSites(model, sites));
    expect(edited.graph.outputs.length).toBe(model.graph.outputs.length + sites.length);
  });

  it("reads the head count folded into the batch ([B·H, T, S]) from shape arithmetic", () => {
    for (const name of ["encdec_torch", "bart_like"]) {
      expect(discoverSites(fixture(name)).sites.map((s) => s.heads)).toEqual([4, 4, 4, 4, 4, 4]);
    }
  });

  it("does not report the classifier Softmax and says why", () => {
    const found = discoverSites(fixture("classifier_softmax"));
    expect(found.sites.length).toBe(2);
    expect(found.rejected).toEqual([
      { node: "/Softmax", reason: expect.stringMatching(/not a product of two activations/) },
    ]);
  });

  it("tells a causal constant from other masks", () => {
    const tril = [1, 0, 0, 1, 1, 0, 1, 1, 1];
    const triuInf = [0, -Infinity, -Infinity, 0, 0, -Infinity, 0, 0, 0];
    expect(isTriangularConstant([3, 3], tril)).toBe(true);
    expect(isTriangularConstant([1, 1, 3, 3], triuInf)).toBe(true);
    expect(isTriangularConstant([3, 3], [1, 1, 1, 1, 1, 1, 1, 1, 1])).toBe(false);
    expect(isTriangularConstant([3, 3], [1, 0, 0, 1, 1, 0, 1, 0, 1])).toBe(false);
  });
});
