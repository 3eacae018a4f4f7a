/**
 * Feeds refused before onnxruntime runs them: token ids outside the embedding table, and maps
 * too large for the size limit whatever the model calls its inputs.
 */
import { describe, expect, it } from "vitest";
import { openModel, Tensor } from "../src";
import type { Feeds } from "../src/run/feeds";
import { estimateAttentionBytes } from "../src/run/sizeGuard";
import { bertLikeModel } from "../src/testing/construct/bertLike";
import { failure } from "./expectError";
import { loadFixture } from "./fixtureFiles";

const bert = loadFixture("bert_like");

/** bert_like's feeds ([2, 8]) with one value of one input replaced. */
function withValue(input: string, at: number, value: number): Feeds {
  const t = bert.feeds[input];
  const data = BigInt64Array.from(t.data as BigInt64Array);
  data[at] = BigInt(value);
  return { ...bert.feeds, [input]: new Tensor("int64", data, t.dims) };
}

describe("ids outside the embedding table", () => {
  it("the last row runs; one past it and negative ids name the input, position, id and table size", async () => {
    const model = await openModel(bert.modelPath, { providers: ["cpu"] });
    // onnxruntime itself says the word embedding has 64 rows: "idx=99999 must be within [-64,63]".
    await expect(model.run(withValue("input_ids", 3, 63))).resolves.toBeTruthy();
    const past = await failure(model.run(withValue("input_ids", 8 + 5, 64)));
    expect(past.code).toBe("BAD_FEEDS");
    expect(past.message).toBe(
      'input "input_ids" holds id 64 at position [1, 5], but the model\'s embedding ' +
        "(embeddings.word_embeddings.weight) has 64 rows: ids must be 0 to 63",
    );
    const negative = await failure(model.run(withValue("input_ids", 0, -1)));
    expect(negative.message).toMatch(/^input "input_ids" holds id -1 at position \[0, 0\]/);
    // Segment ids index their own two-row table.
    const segment = await failure(model.run(withValue("token_type_ids", 2, 2)));
    expect(segment.message).toMatch(
      /^input "token_type_ids" holds id 2 at position \[0, 2\].* has 2 rows: ids must be 0 to 1$/,
    );
    await model.release();
  });
});

describe("size guard whatever the input names", () => {
  const shape = { layers: 2, heads: 4, hidden: 32, intermediate: 64, vocab: 100, maxPositions: 2048 };
  const tokens = 1024;
  // 2 sites × batch 1 × 4 heads × 1024 × 1024 × 4 bytes.
  const mapBytes = 2 * 4 * tokens * tokens * 4;

  function feeds(ids: string, mask: string, n: number): Feeds {
    return {
      [ids]: new Tensor("int64", new BigInt64Array(n).fill(5n), [1, n]),
      [mask]: new Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
    };
  }

  it.each([
    ["input_ids", "attention_mask"],
    ["tokens", "keep"],
  ])("inputs %s, %s: 32 MiB of maps are refused under a 16 MiB limit", async (ids, mask) => {
    const model = await openModel(bertLikeModel({ ...shape, inputNames: { ids, mask } }), {
      providers: ["cpu"],
      maxAttentionBytes: 16 * 2 ** 20,
    });
    expect(estimateAttentionBytes(model.sites, feeds(ids, mask, tokens), 1)).toBe(mapBytes);
    const err = await failure(model.run(feeds(ids, mask, tokens)));
    expect(err.code).toBe("TOO_LARGE");
    expect(err.message).toMatch(
      /would return 32\.0 MiB of attention maps \(2 sites, batch 1\), over the 16\.0 MiB limit/,
    );
    // What does fit: the maps a shorter run returns are exactly the estimate.
    const short = await model.run(feeds(ids, mask, 16));
    const returned = short.sites.reduce((n, s) => n + s.data.length * 4, 0);
    expect(returned).toBe(estimateAttentionBytes(model.sites, feeds(ids, mask, 16), 1));
    await model.release();
  });
});
