/**
 * Greedy decoding, one sample at a time, without a key/value cache: every step runs the decoder
 * on all tokens so far and takes the arg-max of the last position's logits. Each step's attention
 * rows for the position it decided on are kept (StepRows), so the result holds the attention the
 * model paid while choosing every generated token.
 */
import { AttnlensError } from "../../errors";
import type { AttentionResult, ModelOutput, SiteAttention } from "../../result/types";
import type { TokenBatch } from "../../text/batch";
import type { EncoderState, Engine } from "../engine";
import { StepRows } from "./assemble";

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
export async function greedyCausal(engine: Engine, prompt: number[], o: GreedyOptions): Promise<Greedy> {
  const all = engine.sites.map((s) => s.id);
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
      // The first step contributes every position fed so far; later steps only the newest one.
      if (collected) collected.add(site, collected.length, fed.length);
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
