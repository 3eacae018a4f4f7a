import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import type { DeclaredDims } from "../graph/sites/graphChecks";
import type { AttentionSite } from "../graph/sites/types";
import type { Feeds, InputSpec } from "./feeds";
import { bindDimNames, estimateAttentionBytes } from "./sizeGuard";

function site(id: string, output: string, heads: number): AttentionSite {
  const [stack, kind, layer] = id.split(".");
  return {
    id,
    stack: stack as AttentionSite["stack"],
    kind: kind as AttentionSite["kind"],
    layer: Number(layer),
    heads,
    causal: false,
    node: `${output}/Softmax`,
    output,
    existingOutput: false,
    softmaxAxis: -1,
    legacySoftmax: false,
  };
}

const ids = (...dims: number[]) => new ort.Tensor("int64", new BigInt64Array(dims.reduce((a, b) => a * b, 1)), dims);
const floats = (...dims: number[]) =>
  new ort.Tensor("float32", new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
const input = (name: string, dims: InputSpec["dims"]): InputSpec => ({ name, type: "int64", dims });
const declared = (inputs: InputSpec[], shapes: Record<string, DeclaredDims>) => ({
  inputs,
  siteShapes: new Map(Object.entries(shapes)),
});

describe("estimateAttentionBytes", () => {
  const feeds: Feeds = { tok: ids(3, 10), emb: floats(3, 10, 48) };
  const tok = input("tok", ["b", "s"]);

  it("binds a declared site shape's names to the feeds through the inputs' dim names", () => {
    expect(bindDimNames([tok], feeds)).toEqual(
      new Map([
        ["b", 3],
        ["s", 10],
      ]),
    );
    const s = site("encoder.self.0", "probs", 0);
    // [b, 12, s, s] = 3 · 12 · 10 · 10 float32.
    expect(estimateAttentionBytes([s], feeds, 3, declared([tok], { probs: ["b", 12, "s", "s"] }))).toBe(
      3 * 12 * 100 * 4,
    );
  });

  it("counts what cannot be bound conservatively: batch, the known heads, else the longest feed dim", () => {
    const s = site("encoder.self.0", "probs", 4);
    // b → 3, h → the site's 4 heads, s → 10, k (unbound) → 48, the longest feed dim.
    expect(estimateAttentionBytes([s], feeds, 3, declared([tok], { probs: ["b", "h", "s", "k"] }))).toBe(
      3 * 4 * 10 * 48 * 4,
    );
    // [B·H, T, S] with an unnamed leading dim: batch × heads.
    expect(estimateAttentionBytes([s], feeds, 3, declared([tok], { probs: [null, "s", "s"] }))).toBe(3 * 4 * 100 * 4);
  });

  it("without declared shapes: the usual input names, else the longest feed dim (never 0)", () => {
    const self = site("encoder.self.0", "a", 2);
    const cross = site("decoder.cross.0", "b", 2);
    const named: Feeds = { input_ids: ids(1, 12), decoder_input_ids: ids(1, 3) };
    expect(estimateAttentionBytes([self, cross], named, 1)).toBe((2 * 12 * 12 + 2 * 3 * 12) * 4);
    expect(estimateAttentionBytes([self], { tok: ids(1, 12) }, 1)).toBe(2 * 12 * 12 * 4);
    expect(estimateAttentionBytes([self], feeds, 3)).toBe(3 * 2 * 48 * 48 * 4);
  });

  it("an encoder fed audio features is as long as the states it declares, not its 3000 frames (Whisper)", () => {
    const self = site("encoder.self.0", "a", 6);
    const audio: Feeds = { input_features: floats(1, 80, 3000) };
    const frames: InputSpec = { name: "input_features", type: "float32", dims: ["batch_size", 80, 3000] };
    const fixed = {
      ...declared([frames], {}),
      outputShapes: new Map([["last_hidden_state", ["batch_size", 1500, 384]]]),
    };
    expect(estimateAttentionBytes([self], audio, 1, fixed)).toBe(6 * 1500 * 1500 * 4);
    // Older exports name the axes: the output's "encoder_sequence_length / 2" is the input's frames halved.
    const named: InputSpec = { ...frames, dims: ["batch_size", "feature_size", "encoder_sequence_length"] };
    const halved = {
      ...declared([named], {}),
      outputShapes: new Map([["last_hidden_state", ["batch_size", "encoder_sequence_length / 2", 384]]]),
    };
    expect(estimateAttentionBytes([self], audio, 1, halved)).toBe(6 * 1500 * 1500 * 4);
    // Nothing declared: the longest feed dim, an overestimate rather than 0.
    expect(estimateAttentionBytes([self], audio, 1)).toBe(6 * 3000 * 3000 * 4);
  });

  it("a decoder file's cross sites reach over the encoder states it is fed", () => {
    const self = site("decoder.self.0", "a", 6);
    const cross = site("decoder.cross.0", "b", 6);
    const feeds: Feeds = { input_ids: ids(2, 4), encoder_hidden_states: floats(2, 1500, 384) };
    expect(estimateAttentionBytes([self, cross], feeds, 2)).toBe(2 * 6 * (4 * 4 + 4 * 1500) * 4);
  });
});
