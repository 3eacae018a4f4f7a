/**
 * Which stack (encoder/decoder) and kind (self/cross) a site is, from data flow alone: a site is
 * cross-attention when its queries and keys depend on different graph inputs (keys from the
 * encoder's stream, queries from the decoder's), and decoder-side when it touches the inputs that
 * only the decoder's queries depend on.
 */
import type { GraphIndex } from "../onnx/graphIndex";

/** Inputs that feed keys but say nothing about the stream (cached keys/values of past steps). */
export const CACHE_INPUT = /(^|[._])(past|cache|present)/i;
const DECODER_INPUT = /decoder|encoder_hidden_states|encoder_outputs/i;

export interface StreamFacts {
  queryRoots: bigint;
  keyRoots: bigint;
  causal: boolean;
}

export interface StreamLabel {
  stack: "encoder" | "decoder";
  kind: "self" | "cross";
}

export function labelStreams(
  index: GraphIndex,
  facts: readonly StreamFacts[],
  hint?: "encoder" | "decoder",
): StreamLabel[] {
  const ignore = index.graphInputs.reduce((m, name, i) => (CACHE_INPUT.test(name) ? m | (1n << BigInt(i)) : m), 0n);
  const kinds = facts.map((f) => ((f.queryRoots & ~ignore) === (f.keyRoots & ~ignore) ? "self" : "cross"));
  // Inputs only the decoder side reaches: in cross sites, what queries depend on and keys do not.
  let decoderRoots = 0n;
  facts.forEach((f, i) => {
    if (kinds[i] === "cross") decoderRoots |= f.queryRoots & ~f.keyRoots & ~ignore;
  });
  const namedDecoder = index.graphInputs.some((n) => DECODER_INPUT.test(n));
  const mostlyCausal = facts.filter((f) => f.causal).length * 2 > facts.length;
  return facts.map((f, i) => {
    const kind = kinds[i] as "self" | "cross";
    let stack: "encoder" | "decoder";
    if (kind === "cross") stack = "decoder";
    else if (decoderRoots !== 0n) stack = ((f.queryRoots | f.keyRoots) & decoderRoots) !== 0n ? "decoder" : "encoder";
    else if (hint) stack = hint;
    else stack = namedDecoder || mostlyCausal ? "decoder" : "encoder";
    return { stack, kind };
  });
}
