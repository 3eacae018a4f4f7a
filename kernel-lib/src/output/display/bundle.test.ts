/**
 * The display size limit counts UTF-8 bytes, what the notebook output holds: tokens outside ASCII
 * take more bytes than UTF-16 code units (a CJK character 3 bytes for 1 unit, an emoji 4 for 2).
 */
import { describe, expect, it } from "vitest";
import { sampleResult } from "../payload/sample";
import { ATTNLENS_MIME, displayBundle } from "./bundle";

// Long words, so the token text outweighs the slack in encodePayload's size estimate.
const WORDS = ["注意力機制", "👀👀", "übergroß", "naïveté", "θέσηλέξη"].map((w) => w.repeat(8));

describe("displayBundle size limit", () => {
  const result = sampleResult({ layers: 1, heads: 2, tokens: 128, words: WORDS });

  it("measures the payload in UTF-8 bytes, not in string length", async () => {
    const roomy = await displayBundle(result, { fallback: false, rollout: false });
    const json = JSON.stringify(roomy.data[ATTNLENS_MIME]);
    const units = json.length;
    const bytes = new TextEncoder().encode(json).length; // independent of Buffer.byteLength
    expect(bytes).toBeGreaterThan(units);

    // A limit that the UTF-16 length fits under but the UTF-8 bytes do not: too large.
    const over = await displayBundle(result, { fallback: false, rollout: false, maxBytes: units });
    expect(over.tooLarge).toBe(true);
    expect(over.data[ATTNLENS_MIME]).toBeUndefined();

    // Exactly the UTF-8 size fits.
    const fits = await displayBundle(result, { fallback: false, rollout: false, maxBytes: bytes });
    expect(fits.tooLarge).toBeUndefined();
    expect(JSON.stringify(fits.data[ATTNLENS_MIME])).toBe(json);
  });
});
