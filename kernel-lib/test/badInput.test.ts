/** Bad input gets a clear, actionable AttnlensError, never a crash or an onnxruntime trace. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { AttnlensError, openModel, Tensor } from "../src";
import { loadFixture } from "./fixtureFiles";
import { mlpClassifier } from "./syntheticModels";

const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-bad-"));
const bert = loadFixture("bert_like");

async function openError(source: string | Uint8Array, providers = ["cpu"]): Promise<AttnlensError> {
  try {
    await openModel(source, { providers });
  } catch (e) {
    expect(e).toBeInstanceOf(AttnlensError);
    return e as AttnlensError;
  }
  throw new Error("expected openModel to fail");
}

describe("bad model files", () => {
  it("empty file", async () => {
    const f = path.join(tmp, "empty.onnx");
    writeFileSync(f, "");
    const e = await openError(f);
    expect(e.code).toBe("BAD_MODEL");
    expect(e.message).toMatch(/empty \(0 bytes\)/);
  });

  it("missing file", async () => {
    const e = await openError(path.join(tmp, "nope.onnx"));
    expect(e.message).toMatch(/no such file/);
  });

  it("truncated protobuf", async () => {
    const bytes = readFileSync(bert.modelPath);
    const e = await openError(bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(e.code).toBe("BAD_MODEL");
    expect(e.message).toMatch(/corrupt or truncated/);
  });

  it("corrupted bytes in the middle", async () => {
    const bytes = new Uint8Array(readFileSync(bert.modelPath));
    for (let i = 200; i < 260; i++) bytes[i] = 0xff;
    const e = await openError(bytes);
    expect(e.code).toBe("BAD_MODEL");
  });

  it("a file that is not ONNX (text, JSON)", async () => {
    for (const text of ["hello, this is not a model\n", JSON.stringify({ model: "bert", layers: 12 })]) {
      const e = await openError(new TextEncoder().encode(text));
      expect(e.code).toBe("BAD_MODEL");
      expect(e.message).toMatch(/not (a valid )?(an )?ONNX model/);
    }
  });

  it("a valid graph with no attention says so and what was looked for", async () => {
    const e = await openError(mlpClassifier());
    expect(e.code).toBe("NO_ATTENTION");
    expect(e.message).toMatch(/no attention found/);
    expect(e.message).toMatch(/Softmax nodes fed by a product of two activations/);
    expect(e.message).toMatch(/probs: its input is not a product of two activations/);
  });

  it("an unknown provider name lists the known ones", async () => {
    const e = await openError(bert.modelPath, ["cpu", "tpu"]);
    expect(e.code).toBe("BAD_PROVIDER");
    expect(e.message).toMatch(/unknown execution provider "tpu".*cuda, webgpu, cpu/);
  });
});

describe("bad feeds", () => {
  it("a missing feed lists the expected inputs with types and dims", async () => {
    const model = await openModel(bert.modelPath, { providers: ["cpu"] });
    const { token_type_ids: _, ...partial } = bert.feeds;
    await expect(model.run(partial)).rejects.toThrow(
      /missing input "token_type_ids"[\s\S]*input_ids: int64 \[batch, sequence\]/,
    );
    await model.release();
  });

  it("a mistyped feed names the expected type", async () => {
    const model = await openModel(bert.modelPath, { providers: ["cpu"] });
    const ids = bert.feeds.input_ids;
    const wrong = new Tensor("float32", Float32Array.from(ids.data as BigInt64Array, Number), ids.dims);
    const err = await model.run({ ...bert.feeds, input_ids: wrong }).catch((e) => e);
    expect(err).toBeInstanceOf(AttnlensError);
    expect(err.code).toBe("BAD_FEEDS");
    expect(err.message).toMatch(/input "input_ids" is float32 but the model expects int64/);
    await model.release();
  });

  it("a feed of the wrong rank is refused before onnxruntime sees it", async () => {
    const model = await openModel(bert.modelPath, { providers: ["cpu"] });
    const flat = new Tensor("int64", bert.feeds.input_ids.data as BigInt64Array, [bert.feeds.input_ids.size]);
    await expect(model.run({ ...bert.feeds, input_ids: flat })).rejects.toThrow(/has 1 dims .* expects 2/);
    await model.release();
  });
});

describe("too-large requests", () => {
  it("refuses before running, naming the limit and how to lower the request", async () => {
    const model = await openModel(bert.modelPath, { providers: ["cpu"], maxAttentionBytes: 1000 });
    const err = await model.run(bert.feeds).catch((e) => e);
    expect(err).toBeInstanceOf(AttnlensError);
    expect(err.code).toBe("TOO_LARGE");
    // 2 sites × batch 2 × 4 heads × 8 × 8 × 4 bytes = 4,096 bytes > 1,000.
    expect(err.message).toMatch(/would return 4\.00 KiB of attention maps \(2 sites, batch 2\), over the 1000 B limit/);
    expect(err.message).toMatch(/fewer sites .*shorter input.*maxAttentionBytes/);
    // One site still fits under a limit sized for it.
    const small = await openModel(bert.modelPath, { providers: ["cpu"], maxAttentionBytes: 2048 });
    const one = await small.run(bert.feeds, { sites: ["encoder.self.1"] });
    expect(one.sites.map((s) => s.id)).toEqual(["encoder.self.1"]);
    await model.release();
    await small.release();
  });
});
