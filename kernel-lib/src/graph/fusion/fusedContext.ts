/** What a decomposer may look at besides the node: the graph (constants, producers, ranks). */

import type { GraphEmitter } from "../onnx/emitter";
import type { GraphIndex } from "../onnx/graphIndex";
import type { OnnxNode } from "../onnx/model";

export interface FusedContext {
  index: GraphIndex;
}

/** Writes the node's replacement into the emitter; returns null, or why it cannot be decomposed. */
export type Decomposer = (e: GraphEmitter, node: OnnxNode, ctx: FusedContext) => string | null;
