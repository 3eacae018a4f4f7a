/**
 * Sink mass and the `excludeSinks` distance, signed distance and confidence against a numpy
 * reference written from docs/metrics.md (the project's venv, test/pythonEnv.ts), on seeded random
 * maps: causal and bidirectional, padded left or right, GPT-2 / Llama start tokens and named sinks.
 * The reference decides the sink tokens itself (first valid special token of a causal site, or a
 * named text) and works in float64 on the same float32 weights.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runPython } from "../../test/pythonEnv";
import { analyzeResult } from "../src";
import type { AttentionResult, TokenInfo } from "../src/result/types";
import { seededRandom } from "../src/util/random";

const WORDS = ["the", "Ġcat", ".", "Ġsat", ",", "<|endoftext|>", "<s>", "Ġmat"];
const SPECIAL = new Set(["<|endoftext|>", "<s>"]);
const NAMED_SINKS = ["."];

interface Case {
  result: AttentionResult;
  causal: boolean;
  valid: number[][];
  tokens: TokenInfo[][];
  named: boolean;
}

function randomCase(seed: number): Case {
  const rand = seededRandom(seed);
  const causal = seed % 2 === 0;
  const named = seed % 3 === 0;
  const B = 2;
  const H = 3;
  const S = 4 + Math.floor(rand() * 20);
  const valid = Array.from({ length: B }, () => {
    const cut = Math.floor(rand() * S * 0.4);
    const row = new Array(S).fill(1);
    if (seed % 4 < 2) row.fill(0, S - cut);
    else row.fill(0, 0, cut);
    return row;
  });
  const tokens = valid.map((v) =>
    v.map((on, j): TokenInfo => {
      const first = on && (j === 0 || !v[j - 1]);
      // most samples open with a start token, as GPT-2 and Llama inputs do
      const text =
        first && rand() < 0.8 ? (rand() < 0.5 ? "<|endoftext|>" : "<s>") : WORDS[Math.floor(rand() * WORDS.length)];
      return { text, id: j, word: SPECIAL.has(text) ? null : j, special: SPECIAL.has(text) };
    }),
  );
  const data = new Float32Array(B * H * S * S);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < S; i++) {
        if (!valid[b][i]) continue;
        const raw = Array.from({ length: S }, (_, j) =>
          valid[b][j] && (!causal || j <= i) ? Math.log(rand()) ** 2 : 0,
        );
        const sum = raw.reduce((x, y) => x + y, 0);
        raw.forEach((x, j) => {
          data[((b * H + h) * S + i) * S + j] = x / sum;
        });
      }
  const result: AttentionResult = {
    sites: [
      {
        id: "decoder.self.0",
        stack: "decoder",
        kind: "self",
        layer: 0,
        heads: H,
        causal,
        node: "n",
        data,
        dims: [B, H, S, S],
      },
    ],
    provider: "cpu",
    fallbacks: [],
    masks: { decoder: { data: Uint8Array.from(valid.flat()), dims: [B, S] } },
    tokens: { target: tokens },
  };
  return { result, causal, valid, tokens, named };
}

const REFERENCE = `
import json, sys
import numpy as np
cases = json.load(open(sys.argv[1]))
out = []
for c in cases:
    B, H, T, S = c["dims"]
    a = np.fromfile(c["data"], dtype=np.float32).astype(np.float64).reshape(B, H, T, S)
    rows = {k: np.full((B, H, T), np.nan) for k in ("sink", "distance", "signedDistance", "confidence")}
    j = np.arange(S)
    for b in range(B):
        valid = np.array(c["valid"][b], dtype=bool)
        texts, special = c["texts"][b], c["special"][b]
        sink = np.array([t in c["named"] for t in texts], dtype=bool)
        first = int(np.argmax(valid))
        if c["causal"] and special[first]:
            sink[first] = True
        for i in range(T):
            if not valid[i]:
                continue
            visible = valid & ((j <= i) if c["causal"] else True)
            kept = visible & ~sink
            w = a[b, :, i, :]
            rows["sink"][b, :, i] = (w * (visible & sink)).sum(axis=1)
            m = (w * kept).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                rows["distance"][b, :, i] = np.where(m > 0, (w * kept * np.abs(j - i)).sum(axis=1) / m, np.nan)
                rows["signedDistance"][b, :, i] = np.where(m > 0, (w * kept * (j - i)).sum(axis=1) / m, np.nan)
                rows["confidence"][b, :, i] = np.where(m > 0, np.where(kept, w, 0).max(axis=1) / m, np.nan)
    out.append({k: [None if np.isnan(x) else float(x) for x in v.ravel()] for k, v in rows.items()})
print(json.dumps(out))
`;

const dir = mkdtempSync(path.join(os.tmpdir(), "attnlens-sinks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sink mass and excludeSinks against numpy", () => {
  it("equal the numpy reference within 1e-6 on 24 seeded random maps", () => {
    const cases = Array.from({ length: 24 }, (_, k) => randomCase(900 + k));
    const specs = cases.map((c, k) => {
      const file = path.join(dir, `case${k}.f32`);
      const site = c.result.sites[0];
      writeFileSync(file, Buffer.from(site.data.buffer, site.data.byteOffset, site.data.byteLength));
      return {
        data: file,
        dims: site.dims,
        causal: c.causal,
        valid: c.valid,
        texts: c.tokens.map((ts) => ts.map((t) => t.text)),
        special: c.tokens.map((ts) => ts.map((t) => t.special)),
        named: c.named ? NAMED_SINKS : [],
      };
    });
    const specFile = path.join(dir, "cases.json");
    writeFileSync(specFile, JSON.stringify(specs));
    const reference: Record<string, (number | null)[]>[] = JSON.parse(runPython(REFERENCE, [specFile]));
    let compared = 0;
    let startTokens = 0;
    cases.forEach((c, k) => {
      const options = { excludeSinks: true, ...(c.named ? { specialTokens: { sink: NAMED_SINKS } } : {}) };
      const rows = analyzeResult(c.result, options).sites[0].rows;
      for (const key of ["sink", "distance", "signedDistance", "confidence"] as const) {
        reference[k][key].forEach((want, r) => {
          const got = rows[key][r];
          if (want === null) expect(got, `case ${k} ${key} row ${r}`).toBeNaN();
          else {
            expect(Math.abs(got - want), `case ${k} ${key} row ${r}: ${got} vs ${want}`).toBeLessThanOrEqual(
              1e-6 * Math.max(1, Math.abs(want)),
            );
            compared++;
          }
        });
      }
      if (c.causal) startTokens += c.tokens.filter((ts, b) => ts[c.valid[b].indexOf(1)].special).length;
    });
    expect(compared).toBeGreaterThan(2000);
    expect(startTokens).toBeGreaterThan(10);
  });
});
