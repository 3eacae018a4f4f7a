/**
 * A decoder step read with a key/value cache (S > T): the columns are every position so far, the
 * rows the T newest (PayloadSite.rowOffset = S − T into the same stream).
 */
import { describe, expect, it } from "vitest";
import { siteMatrix } from "../src/data/matrix";
import { defaultSelection } from "../src/data/selection";
import type { AttentionPayload } from "../src/payload/types";
import { decodePayload } from "../src/payload/validate";
import { block } from "./makePayload";

const TEXT = ["<s>", "a", "b", "c", "d"];
const S = TEXT.length;
const T = 2;

/** Row i (stream position S − T + i) puts 1/(p + 1) on each of positions 0…p: causal over the cache. */
function cachedMaps(): Float32Array {
  const out = new Float32Array(T * S);
  for (let i = 0; i < T; i++) {
    const p = S - T + i;
    for (let j = 0; j <= p; j++) out[i * S + j] = 1 / (p + 1);
  }
  return out;
}

function payload(rowOffset: number | undefined, padding: number[] = []): AttentionPayload {
  return {
    v: 1,
    samples: 1,
    tokens: { target: { start: 0, text: [TEXT], special: [[0]], padding: [padding] } },
    sites: [
      {
        id: "decoder.self.0",
        stack: "decoder",
        kind: "self",
        layer: 0,
        heads: 1,
        causal: true,
        rows: "target",
        cols: "target",
        ...(rowOffset === undefined ? {} : { rowOffset }),
        dims: [1, 1, T, S],
        maps: block(cachedMaps(), [1, 1, T, S]),
      },
    ],
  };
}

describe("cached-step sites (S > T)", () => {
  it("rows are the newest tokens, columns every position so far", () => {
    const p = decodePayload(payload(S - T));
    const m = siteMatrix(p, defaultSelection(p));
    expect([m.R, m.C]).toEqual([T, S]);
    expect(m.rows.labels).toEqual(["c", "d"]);
    expect(m.rows.positions).toEqual([3, 4]);
    expect(m.cols.labels).toEqual(TEXT);
    const want = cachedMaps();
    for (let i = 0; i < want.length; i++) expect(m.values[i]).toBeCloseTo(want[i], 2);
  });

  it("padding and special tokens of the stream land on the right rows", () => {
    const p = decodePayload(payload(S - T, [4]));
    const m = siteMatrix(p, defaultSelection(p));
    expect(m.rows.labels).toEqual(["c"]); // position 4 is padding: its row is dropped
    expect(m.cols.labels).toEqual(["<s>", "a", "b", "c"]);
  });

  it("a site whose rows do not end at the last position is refused", () => {
    expect(() => decodePayload(payload(undefined))).toThrow(
      "attnlens payload: site decoder.self.0: rows 0…1 do not end at the last of the S = 5 positions",
    );
    expect(() => decodePayload(payload(-1))).toThrow("rowOffset must be an integer ≥ 0");
  });
});
