/** Reading site labels from the output names Hugging Face optimum gives exported attentions. */

const NAMED = /^(encoder_|decoder_|cross_)?attentions[._](\d+)$/;

export interface NamedSite {
  stack: "encoder" | "decoder";
  kind: "self" | "cross";
  layer: number;
  causal: boolean;
}

/** `attentions.3` → encoder self layer 3 (decoder for decoder-only models); null if not such a name. */
export function namedAttentionOutput(name: string, decoderOnly: boolean): NamedSite | null {
  const m = NAMED.exec(name);
  if (!m) return null;
  const layer = Number(m[2]);
  switch (m[1]) {
    case "encoder_":
      return { stack: "encoder", kind: "self", layer, causal: false };
    case "decoder_":
      return { stack: "decoder", kind: "self", layer, causal: true };
    case "cross_":
      return { stack: "decoder", kind: "cross", layer, causal: false };
    default:
      return decoderOnly
        ? { stack: "decoder", kind: "self", layer, causal: true }
        : { stack: "encoder", kind: "self", layer, causal: false };
  }
}
