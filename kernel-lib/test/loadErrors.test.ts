/**
 * Loading mistakes end in one actionable AttnlensError: a tokenizer from another model, text
 * longer than the model's positions (and the truncate option), missing files with what was looked
 * for, a missing tokenizer, fused ops that cannot be exposed.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel, openModel, Tensor } from "../src";
import { encodeModel } from "../src/graph/onnx/encode";
import { failure } from "./expectError";
import { real, reference } from "./realFixtures";

const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-load-"));

function modelDir(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, "onnx"), { recursive: true });
  for (const [to, from] of Object.entries(files)) copyFileSync(from, path.join(dir, to));
  return dir;
}

describe("tokenizer and model that do not belong together", () => {
  it("refuses a tokenizer with ids beyond the embedding's rows, naming both numbers", async () => {
    const dir = modelDir("mismatch", {
      "model.onnx": real("bert/model.onnx"),
      "tokenizer.json": real("gpt2/tokenizer.json"),
      "config.json": real("bert/config.json"),
    });
    const e = await failure(loadModel(dir, { providers: ["cpu"] }));
    expect(e.code).toBe("BAD_TOKENIZER");
    expect(e.message).toMatch(/tokenizer has ids up to 291, but the model's token embedding .* has only 64 rows/);
    expect(e.message).toMatch(/Use the tokenizer.json exported with this model/);
  });
});

describe("text longer than the model's positions", () => {
  const long = Array.from({ length: 40 }, () => "cat").join(" ");

  it("says the limit and offers truncation", async () => {
    const model = await loadModel(real("bert"), { providers: ["cpu"] });
    const e = await failure(model.run(long));
    expect(e.code).toBe("TOO_LONG");
    expect(e.message).toMatch(
      /the text has 42 tokens .* only 32 positions: shorten it, or pass \{ truncate: true \} \(CLI: --truncate\)/,
    );
    const e2 = await failure(model.run(["the cat", long]));
    expect(e2.message).toMatch(/^text #1 has 42 tokens/);
    await model.release();
  });

  it("truncate: true keeps the first positions and the closing special token", async () => {
    const model = await loadModel(real("bert"), { providers: ["cpu"], truncate: true });
    const result = await model.run(long);
    const tokens = result.tokens?.source?.[0] ?? [];
    expect(tokens.length).toBe(32);
    expect(tokens.at(-1)?.text).toBe("[SEP]");
    expect(result.sites[0].dims).toEqual([1, 4, 32, 32]);
    await model.release();
  });

  it("the option can also be given per run", async () => {
    const model = await loadModel(real("gpt2"), { providers: ["cpu"] });
    const result = await model.run(long, { truncate: true });
    expect(result.sites[0].dims[2]).toBe(32);
    await model.release();
  });
});

describe("missing files", () => {
  it("a directory without a model lists the layouts looked for", async () => {
    const dir = modelDir("empty", { "config.json": real("bert/config.json") });
    const e = await failure(loadModel(dir));
    expect(e.code).toBe("MISSING_FILES");
    expect(e.message).toMatch(/holds no \.onnx file/);
    expect(e.message).toMatch(/model\.onnx, encoder_model\.onnx \+ decoder_model\.onnx, onnx\/model\.onnx/);
  });

  it("a merged decoder is explained (its attention sits inside If sub-graphs)", async () => {
    const dir = modelDir("merged", {
      "encoder_model.onnx": real("bart_split/encoder_model.onnx"),
      "decoder_model_merged.onnx": real("bart_split/decoder_model.onnx"),
    });
    const e = await failure(loadModel(dir));
    expect(e.message).toMatch(/decoder_model_merged\.onnx is a merged decoder.*--no-post-process/);
  });

  it("a path that does not exist (and is no demo model or Hub id)", async () => {
    const e = await failure(loadModel("./no/such/model"));
    expect(e.code).toBe("MISSING_FILES");
    expect(e.message).toMatch(/no such file or directory: \.\/no\/such\/model/);
  });

  it("a model without tokenizer.json loads, runs feeds, and explains why text cannot run", async () => {
    const dir = modelDir("no-tokenizer", { "model.onnx": real("bert/model.onnx") });
    const model = await loadModel(dir, { providers: ["cpu"] });
    const e = await failure(model.run("the cat"));
    expect(e.code).toBe("MISSING_FILES");
    expect(e.message).toMatch(/has no tokenizer\.json \(looked in .*no-tokenizer\)/);
    const ids = new Tensor("int64", BigInt64Array.of(1n, 7n, 2n), [1, 3]);
    const ones = new Tensor("int64", BigInt64Array.of(1n, 1n, 1n), [1, 3]);
    const zeros = new Tensor("int64", BigInt64Array.of(0n, 0n, 0n), [1, 3]);
    const result = await model.run({ input_ids: ids, attention_mask: ones, token_type_ids: zeros });
    expect(result.sites.length).toBe(2);
    await model.release();
  });

  it("an explicit .onnx file loads with the tokenizer next to it", async () => {
    const model = await loadModel(real("bert/model.onnx"), { providers: ["cpu"] });
    expect(model.info.files.model).toBe("model.onnx");
    const result = await model.run(reference("bert").runs[0].source[0]);
    expect(result.tokens?.source?.[0][0].text).toBe("[CLS]");
    await model.release();
  });

  it("an input attnlens cannot build from text is named", async () => {
    const dir = modelDir("decoder-only-file", {
      "model.onnx": real("bart_split/decoder_model.onnx"),
      "tokenizer.json": real("bart_split/tokenizer.json"),
    });
    const model = await loadModel(dir, { providers: ["cpu"] });
    const e = await failure(model.run("hello world"));
    expect(e.code).toBe("BAD_FEEDS");
    expect(e.message).toMatch(/cannot build these inputs of model\.onnx from text:\n {2}encoder_attention_mask: int64/);
    expect(e.message).toMatch(
      /\n {2}encoder_hidden_states: float32 \[batch_size, encoder_sequence_length, 32\]\npass the feeds yourself/,
    );
    await model.release();
  });
});

describe("fused ops that cannot be exposed", () => {
  it("are listed with the exact reason", async () => {
    const bytes = encodeModel(
      {
        name: "longformer",
        nodes: [
          {
            name: "/layer.0/LongformerAttention",
            opType: "LongformerAttention",
            domain: "com.microsoft",
            inputs: ["x", "w", "b", "m", "gw", "gb", "g"],
            outputs: ["y"],
            attributes: { num_heads: { i: 2 }, window: { i: 2 } },
          },
        ],
        inputs: [{ name: "x", elemType: 1, shape: ["b", "s", 4] }],
        outputs: [{ name: "y", elemType: 1 }],
        initializers: [],
      },
      { "": 17, "com.microsoft": 1 },
    );
    const e = await failure(openModel(bytes, { providers: ["cpu"] }));
    expect(e.code).toBe("NO_ATTENTION");
    expect(e.message).toMatch(
      /\/layer\.0\/LongformerAttention: fused com\.microsoft\.LongformerAttention: its sliding-window plus global attention has no dense probability matrix/,
    );
  });

  it("a decomposer's refusal says what is unsupported", async () => {
    const bytes = encodeModel(
      {
        name: "rotary-attention",
        nodes: [
          {
            name: "attn",
            opType: "Attention",
            domain: "com.microsoft",
            inputs: ["x", "w"],
            outputs: ["y"],
            attributes: { num_heads: { i: 2 }, do_rotary: { i: 1 } },
          },
        ],
        inputs: [{ name: "x", elemType: 1, shape: ["b", "s", 4] }],
        outputs: [{ name: "y", elemType: 1 }],
        initializers: [{ name: "w", dataType: 1, dims: [4, 12], data: new Float32Array(48) }],
      },
      { "": 17, "com.microsoft": 1 },
    );
    const e = await failure(openModel(bytes, { providers: ["cpu"] }));
    expect(e.message).toMatch(
      /attn: fused com\.microsoft\.Attention cannot be decomposed: it applies rotary embeddings inside the op/,
    );
  });
});
