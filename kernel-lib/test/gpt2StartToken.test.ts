/**
 * The GPT-2-like fixture with its real byte-level BPE tokenizer: a text that opens with
 * <|endoftext|> gets it as the start token (role "start"), its attention is sink mass read from
 * the model's own maps, never [SEP] mass, and it starts no segment; the <|endoftext|> tokens that
 * pad the shorter sample are padding, not separators.
 */
import { describe, expect, it } from "vitest";
import { analyzeResult, loadModel, tokenRoles } from "../src";
import { real } from "./realFixtures";

describe("GPT-2's <|endoftext|> at position 0", () => {
  it("is a start / sink token: sink mass = the maps' column 0, no [SEP] mass, no segments", async () => {
    const model = await loadModel(real("gpt2"), { providers: ["cpu"] });
    const result = await model.run(["<|endoftext|>the cat sat on the mat", "<|endoftext|>hello world"]);
    await model.release();
    const tokens = result.tokens?.target ?? [];
    const mask = result.masks.decoder;
    expect(tokens[0][0]).toMatchObject({ text: "<|endoftext|>", special: true });
    const valid = (b: number) =>
      Array.from(mask?.data.subarray(b * tokens[b].length, (b + 1) * tokens[b].length) ?? []);
    const roles = tokens.map((ts, b) => tokenRoles(ts, { causal: true, valid: valid(b) }));
    expect(roles[0]).toEqual(["start", ...Array(tokens[0].length - 1).fill("word")]);
    expect(roles[1].filter((r) => r === "start" || r === "word")).toEqual(["start", "word", "word"]);
    expect(roles[1].slice(3).every((r) => r === "pad")).toBe(true);

    const analysis = analyzeResult(result);
    expect(analysis.sites.length).toBeGreaterThan(0);
    for (const [k, site] of analysis.sites.entries()) {
      const [B, H, T, S] = site.dims;
      const maps = result.sites[k].data;
      for (let b = 0; b < B; b++)
        for (let h = 0; h < H; h++)
          for (let i = 0; i < T; i++) {
            const r = (b * H + h) * T + i;
            if (!valid(b)[i]) continue;
            expect(site.rows.sink[r]).toBe(maps[r * S]);
            expect(site.rows.sep[r]).toBe(0);
            expect(site.rows.segment[r]).toBeNaN();
          }
      for (const head of site.heads) {
        expect(head.mass.sep).toBe(0);
        expect(head.mass.segment).toBeNull();
        expect(head.mass.sink).toBeGreaterThan(0);
      }
      expect(site.patterns.every((p) => p.label !== "block")).toBe(true);
    }
  });
});
