/**
 * Feeds built from tokenized text, by the names the session declares (as transformers.js matches
 * inputs against `session.inputNames`): input_ids, attention_mask, token_type_ids, position_ids,
 * decoder_input_ids, encoder_hidden_states, encoder_attention_mask, empty past key/values, …
 * An input attnlens cannot fill from text is an error naming it.
 */
import * as ort from "onnxruntime-node";
import { AttnlensError } from "../errors";
import { describeInput, type Feeds, type InputSpec } from "../run/feeds";
import type { TokenBatch } from "./batch";

export interface FeedSources {
  /** The tokens this file reads as `input_ids` (the text; the target in an optimum decoder file). */
  primary: TokenBatch;
  /** Decoder tokens of a single-file encoder-decoder (`decoder_input_ids`). */
  decoder?: TokenBatch;
  /** The encoder's output, for a split decoder file. */
  encoderHidden?: ort.Tensor;
  /** The source padding mask, for a split decoder file. */
  encoderMask?: number[][];
}

type Filler = (spec: InputSpec, src: FeedSources) => ort.Tensor | null;

const positions = (rows: number[][]) => rows.map((r) => r.map((_, i) => i));

const FILLERS: [RegExp, Filler][] = [
  [/^(input_ids|ids)$/, (s, src) => tensor(s, src.primary.ids)],
  [/^attention_mask$/, (s, src) => tensor(s, src.primary.mask)],
  [/^token_type_ids$/, (s, src) => tensor(s, src.primary.typeIds)],
  [/^position_ids$/, (s, src) => tensor(s, positions(src.primary.ids))],
  [/^decoder_input_ids$/, (s, src) => (src.decoder ? tensor(s, src.decoder.ids) : null)],
  [/^decoder_attention_mask$/, (s, src) => (src.decoder ? tensor(s, src.decoder.mask) : null)],
  [/^decoder_position_ids$/, (s, src) => (src.decoder ? tensor(s, positions(src.decoder.ids)) : null)],
  [/^(encoder_hidden_states|encoder_outputs)$/, (_, src) => src.encoderHidden ?? null],
  [/^encoder_attention_mask$/, (s, src) => (src.encoderMask ? tensor(s, src.encoderMask) : null)],
  [/^use_cache_branch$/, () => new ort.Tensor("bool", Uint8Array.of(0), [1])],
  [/(^|[._])(past|cache)/, (s, src) => emptyPast(s, src.primary.ids.length)],
];

export function buildFeeds(specs: readonly InputSpec[], src: FeedSources, what: string): Feeds {
  const feeds: Feeds = {};
  const unfilled: InputSpec[] = [];
  for (const spec of specs) {
    const filler = FILLERS.find(([re]) => re.test(spec.name))?.[1];
    const t = filler ? filler(spec, src) : null;
    if (t) feeds[spec.name] = t;
    else unfilled.push(spec);
  }
  if (unfilled.length) {
    throw new AttnlensError(
      "BAD_FEEDS",
      `attnlens cannot build these inputs of ${what} from text:\n${unfilled.map((s) => `  ${describeInput(s)}`).join("\n")}\n` +
        "pass the feeds yourself (model.run(feeds), or attnlens extract --feeds FEEDS.json)",
    );
  }
  return feeds;
}

function tensor(spec: InputSpec, rows: number[][]): ort.Tensor {
  const dims = [rows.length, rows[0]?.length ?? 0];
  const flat = rows.flat();
  switch (spec.type) {
    case "int32":
      return new ort.Tensor("int32", Int32Array.from(flat), dims);
    case "float32":
      return new ort.Tensor("float32", Float32Array.from(flat), dims);
    case "bool":
      return new ort.Tensor(
        "bool",
        Uint8Array.from(flat, (v) => (v ? 1 : 0)),
        dims,
      );
    default:
      return new ort.Tensor(
        "int64",
        BigInt64Array.from(flat, (v) => BigInt(v)),
        dims,
      );
  }
}

/** A zero-length past key/value: [batch, heads, 0, head_dim] with heads and head_dim as declared. */
function emptyPast(spec: InputSpec, batch: number): ort.Tensor | null {
  if (!spec.dims || spec.type !== "float32") return null;
  const dims: number[] = [];
  for (const [i, d] of spec.dims.entries()) {
    if (typeof d === "number" && d > 0) dims.push(d);
    else if (i === 0) dims.push(batch);
    else if (typeof d === "string" && /past|seq|len/i.test(d)) dims.push(0);
    else return null;
  }
  return new ort.Tensor("float32", new Float32Array(0), dims);
}
