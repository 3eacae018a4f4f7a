/**
 * Past key/value feeds checked against each other before a run: every layer's cache must hold the
 * same number of past positions, the same batch, the heads the export declares, and the attention
 * mask must cover past + new positions. onnxruntime would otherwise fail deep in a Concat, or, for
 * a layer fed a shorter cache, run and return maps whose columns mean other positions.
 */
import { AttnlensError } from "../errors";
import type { Feeds, InputSpec } from "./feeds";

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

export function checkPastFeeds(specs: readonly InputSpec[], feeds: Feeds): void {
  const past = specs.filter((s) => PAST.test(s.name) && Array.isArray(feeds[s.name]?.dims));
  if (past.length === 0) return;
  const problems: string[] = [];
  const first = feeds[past[0].name];
  const [batch, , length] = first.dims;
  for (const s of past) {
    const d = feeds[s.name].dims;
    if (d.length !== 4) {
      problems.push(`${s.name} has ${d.length} dims, not [batch, heads, past_length, head_dim]`);
      continue;
    }
    if (d[0] !== batch) problems.push(`${s.name} has batch ${d[0]} but ${past[0].name} has ${batch}`);
    if (d[2] !== length) problems.push(`${s.name} holds ${d[2]} past positions but ${past[0].name} holds ${length}`);
    const heads = s.dims?.[1];
    if (typeof heads === "number" && d[1] !== heads)
      problems.push(`${s.name} has ${d[1]} heads but the model's cache has ${heads} (key/value heads)`);
    const headDim = s.dims?.[3];
    if (typeof headDim === "number" && d[3] !== headDim)
      problems.push(`${s.name} has head size ${d[3]} but the model's is ${headDim}`);
  }
  // A merged decoder runs its with-past branch either way (graph/surgery/mergedDecoder.ts): a past
  // fed with use_cache_branch off would be read where the original model ignores it.
  const flag = feeds.use_cache_branch;
  if (flag && length > 0 && !(flag.data as Uint8Array)[0])
    problems.push(
      `use_cache_branch is false but the past holds ${length} positions (set it true, or feed an empty past)`,
    );
  const mask = feeds.attention_mask;
  const ids = feeds.input_ids;
  if (problems.length === 0 && mask?.dims.length === 2 && ids?.dims.length === 2) {
    const want = length + ids.dims[1];
    if (mask.dims[1] !== want)
      problems.push(
        `attention_mask covers ${mask.dims[1]} positions but the past holds ${length} and input_ids ${ids.dims[1]} (${want})`,
      );
  }
  if (problems.length > 0) {
    throw new AttnlensError(
      "BAD_FEEDS",
      `the past key/value feeds do not fit the model: ${problems.join("; ")}. ` +
        "Feed the previous step's present.N.key/value outputs as past_key_values.N.key/value (all layers, the same length) " +
        "and an attention_mask of past + new positions; an empty cache is [batch, heads, 0, head_dim]",
    );
  }
}
