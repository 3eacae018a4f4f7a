/**
 * runLazy for a text model: the same inputs as run() (one text, several, { source, pair, target }
 * or feeds), tokens and masks as run() gives them. A split encoder–decoder pair runs lazily file
 * by file (the encoder's hidden states feed the decoder) and its two row sources are joined.
 */
import * as ort from "onnxruntime-node";
import { AttnlensError } from "../../errors";
import type { LazyResult } from "../../result/lazy";
import type { EncodedBatch } from "../../text/batch";
import { buildFeeds } from "../../text/textFeeds";
import type { AttentionModel, RunOptions } from "../attentionModel";
import { maskOf } from "../engine";

export interface TextLazyInput {
  models: readonly AttentionModel[];
  family: "encoder" | "decoder" | "encoder-decoder";
  name: string;
  source: EncodedBatch;
  target: EncodedBatch | null;
}

export async function runTextLazy(input: TextLazyInput, options: RunOptions): Promise<LazyResult> {
  const { models, family, name, source, target } = input;
  if (family === "encoder-decoder" && !target)
    throw new AttnlensError("BAD_INPUT", `${name} is an encoder-decoder model: runLazy needs { source, target } text`);
  const only = (m: AttentionModel) =>
    options.sites ? options.sites.filter((id) => m.sites.some((s) => s.id === id)) : undefined;
  let result: LazyResult;
  if (models.length === 1) {
    const feeds = buildFeeds(models[0].inputs, { primary: source.batch, decoder: target?.batch }, name);
    result = await models[0].runLazy(feeds, options);
  } else {
    const [encoder, decoder] = models;
    const enc = await encoder.runLazy(buildFeeds(encoder.inputs, { primary: source.batch }, name), {
      sites: only(encoder),
    });
    const h = enc.outputs[encoder.outputs[0]];
    const hidden = new ort.Tensor("float32", h.data as Float32Array, h.dims);
    const feeds = buildFeeds(
      decoder.inputs,
      { primary: target?.batch ?? source.batch, encoderHidden: hidden, encoderMask: source.batch.mask },
      name,
    );
    const dec = await decoder.runLazy(feeds, { sites: only(decoder) });
    result = joined(enc, dec);
  }
  const tokens =
    family === "decoder"
      ? { source: source.tokens, target: source.tokens }
      : { source: source.tokens, ...(target ? { target: target.tokens } : {}) };
  const masks = target ? { ...result.masks, decoder: maskOf(target.batch) } : result.masks;
  return { ...result, tokens, masks };
}

/** An encoder's and a decoder's lazy results as one: encoder sites first. */
function joined(enc: LazyResult, dec: LazyResult): LazyResult {
  const owner = (site: string) => (enc.sites.some((s) => s.id === site) ? enc : dec);
  const outputs: LazyResult["outputs"] = {};
  for (const [k, v] of Object.entries(enc.outputs)) outputs[k.startsWith("encoder_") ? k : `encoder_${k}`] = v;
  Object.assign(outputs, dec.outputs);
  return {
    ...dec,
    masks: { encoder: enc.masks.encoder, decoder: dec.masks.decoder },
    inputIds: { encoder: enc.inputIds?.encoder, decoder: dec.inputIds?.decoder },
    outputs,
    sites: [...enc.sites, ...dec.sites],
    bytes: enc.bytes + dec.bytes,
    fullBytes: enc.fullBytes + dec.fullBytes,
    rows: (site, batch, rows, heads) => owner(site).rows(site, batch, rows, heads),
    tile: (request) => owner(request?.site).tile(request),
    release: async () => {
      await enc.release();
      await dec.release();
    },
  };
}
