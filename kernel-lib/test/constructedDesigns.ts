/** The designed-head layouts the constructed-model tests share (pattern labels and in-graph metrics). */
import type { HeadDesign } from "../src/testing";

/** Every encoder pattern, in two layers with different head orders. */
export const ENCODER: HeadDesign[][] = [
  ["self", "previous", "next", "window", "first", "segment", "uniform"],
  ["segment", "uniform", "window", "first", "self", "next", "previous"],
];

/** A causal decoder with a layer-0 previous-token head feeding a layer-1 induction head. */
export const DECODER: HeadDesign[][] = [
  ["previous", "self", "window", "first", "uniform"],
  ["induction", "uniform", "first", "self", "window"],
];
