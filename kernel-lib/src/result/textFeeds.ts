/**
 * Whether the token data taken from the feeds (padding masks, token ids, segment ids) describes a
 * site's positions. A model with an image or audio tower beside a text one (CLIP) has sites whose
 * queries are computed from `pixel_values` or `input_features` alone: the text's
 * `attention_mask`, `input_ids` and `token_type_ids` are not about their positions, even where
 * the two lengths happen to agree. Sites whose inputs were not traced (named outputs, results
 * built by hand or read from older files) are taken to be text sites, as before.
 */
import type { SiteLabel } from "./types";

/** Feeds of the image and audio towers, as optimum and transformers name them. */
const NON_TEXT_INPUT = /^(pixel_values|pixel_mask|input_features|input_values)$/;

export function readsTextFeeds(site: Pick<SiteLabel, "inputs">): boolean {
  const inputs = site.inputs;
  return !inputs || inputs.length === 0 || !inputs.every((name) => NON_TEXT_INPUT.test(name));
}
