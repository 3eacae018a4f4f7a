/**
 * Greedy decoding, one sample at a time, taking the arg-max of the last position's logits. A
 * decoder-only export with past key/value inputs is stepped with its cache: the first step runs the
 * prompt, each later step only the newest token, with the previous step's presents as the past
 * (kvCache.ts). Other models re-run every token so far at each step. Either way each step's rows
 * for the positions it added are kept (StepRows) and stitched into one causal map, so the result
 * holds the attention the model paid while choosing every generated token.
 */
import { AttnlensError } from "../../errors";
import type { AttentionResult, ModelOutput, SiteAttention } from "../../result/types";
import type { TokenBatch } from "../../text/batch";
import type { EncoderState, Engine } from "../engine";
import type { Feeds } from "../feeds";
import { StepRows } from "./assemble";
import { cacheBindings, nextPast, stepFeeds } from "./kvCache";

export interface GreedyOptions {
  maxNewTokens: number;
  /** Generation stops after any of these ids. */
  eos: ReadonlySet<number>;
  /** Positions the decoder has; generation stops before running out. */
  maxPositions?: number | null;
}

export interface Greedy {
  result: AttentionResult;
  /** Generated ids, the final end-of-sequence token included when one was produced. */
  generated: number[];
  /** The decoder's input ids of the last step: start/prompt + every generated token but the last. */
  fed: number[];
}

const row = (ids: number[]): TokenBatch => ({ ids: [ids], mask: [ids.map(() => 1)], typeIds: [ids.map(() => 0)] });

/** Encoder-decoder: the decoder starts from `start` and attends to the encoded source. */
export async function greedySeq2Seq(
  engine: Engine,
  state: EncoderState,
  start: number,
  o: GreedyOptions,
): Promise<Greedy> {
  const decoderSites = engine.sites.filter((s) => s.stack === "decoder").map((s) => s.id);
  return loop(
    engine.sites.map((s) => s.id),
    decoderSites,
    [start],
    o,
    (fed, sites) => engine.forward(state, row(fed), sites),
  );
}

/** Decoder-only: the prompt's rows come from the first step, one new row from each later step. */
export async function greedyCausal(
  engine: Engine,
  prompt: number[],
  o: GreedyOptions & { cache?: boolean },
): Promise<Greedy> {
  const all = engine.sites.map((s) => s.id);
  const model = engine.family === "decoder" && engine.models.length === 1 ? engine.models[0] : null;
  const bindings = model && o.cache !== false ? cacheBindings(model) : null;
  if (model && bindings) {
    // With the cache: feed only what the model has not seen; the past carries the rest.
    let past: Feeds | null = null;
    let seen = 0;
    return loop(all, all, prompt, o, async (fed, sites) => {
      const result = await model.run(stepFeeds(model, bindings, fed.slice(seen), past, seen), { sites });
      past = nextPast(result, bindings);
      seen = fed.length;
      return result;
    });
  }
  return loop(all, all, prompt, o, async (fed, sites) => engine.forward(await engine.encode(row(fed)), null, sites));
}

async function loop(
  allSites: string[],
  growing: string[],
  initial: number[],
  o: GreedyOptions,
  step: (fed: number[], sites: readonly string[] | undefined) => Promise<AttentionResult>,
): Promise<Greedy> {
  const rows = new Map(growing.map((id) => [id, new StepRows()]));
  const fed = [...initial];
  const generated: number[] = [];
  let first: AttentionResult | null = null;
  let last: AttentionResult | null = null;
  for (let k = 0; k < Math.max(1, o.maxNewTokens); k++) {
    last = await step(fed, first ? growing : undefined);
    first ??= last;
    for (const site of last.sites) {
      const collected = rows.get(site.id);
      // A step contributes the positions not collected yet: its last rows (a re-run's map covers
      // every position fed, a cached step's only the new ones).
      const t = site.dims[2];
      if (collected) collected.add(site, t - (fed.length - collected.length), t);
    }
    const next = argmaxLast(last.outputs);
    generated.push(next);
    if (o.eos.has(next) || (o.maxPositions != null && fed.length >= o.maxPositions)) break;
    if (k + 1 < o.maxNewTokens) fed.push(next);
  }
  if (!first || !last) throw new Error("no generation step ran");
  const fixed = first.sites.filter((s) => !rows.has(s.id));
  const grown = [...rows.values()].map((r) => r.assemble());
  const byId = new Map([...fixed, ...grown].map((s) => [s.id, s]));
  const sites = allSites.map((id) => byId.get(id)).filter((s): s is SiteAttention => s != null);
  const result: AttentionResult = {
    ...last,
    sites,
    masks: { ...first.masks, decoder: { data: new Uint8Array(fed.length).fill(1), dims: [1, fed.length] } },
    inputIds: { ...first.inputIds, decoder: [Int32Array.from(fed)] },
  };
  return { result, generated, fed };
}

/** Arg-max over the vocabulary at the last position of the logits output. */
export function argmaxLast(outputs: Record<string, ModelOutput>): number {
  const logits =
    outputs.logits ?? Object.values(outputs).find((o) => o.type === "float32" && o.dims.length === 3 && o.dims[2] > 1);
  if (logits?.dims.length !== 3) {
    throw new AttnlensError(
      "BAD_MODEL",
      "generation needs a logits output [batch, length, vocabulary]; the model has none",
    );
  }
  const [, t, v] = logits.dims;
  const data = logits.data as Float32Array;
  let best = 0;
  for (let j = 1; j < v; j++) if (data[(t - 1) * v + j] > data[(t - 1) * v + best]) best = j;
  return best;
}
