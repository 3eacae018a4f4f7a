// Shared by the benchmark entries (not an entry itself): the BERT-base-shaped model's feeds and
// timing helpers.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * One sample of `tokens` deterministic token ids (no padding) for the BERT-shaped model, or for
 * a model with a `vocab`-sized table (ids below `vocab`).
 */
export function bertFeeds(ort, tokens, vocab) {
  const id = vocab ? (i) => (i * 7919) % vocab : (i) => 101 + ((i * 7919) % 29000);
  const ids = BigInt64Array.from({ length: tokens }, (_, i) => BigInt(id(i)));
  return {
    input_ids: new ort.Tensor("int64", ids, [1, tokens]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(tokens).fill(1n), [1, tokens]),
  };
}

/** Wall time of `await f()` in ms. */
export async function timed(f) {
  const start = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The middle value (the upper one of an even count). */
export function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

/**
 * Options for a plain onnxruntime session timed beside attnlens' own: attnlens' sessions stop
 * their pool's spinning when a run ends (kernel-lib/src/run/session.ts), and this one gets the
 * same entry, merged the same way, so that in an interleaved loop neither side's idle spinning
 * slows the other side's next run or the analysis after it. Alone, a run takes the same time
 * either way.
 */
export function plainSessionOptions(options = {}) {
  const { withSessionConfig, STOP_SPINNING_AFTER_RUN } = require("../kernel-lib/dist/run/session.js");
  return withSessionConfig({ ...options, executionProviders: ["cpu"] }, STOP_SPINNING_AFTER_RUN);
}
