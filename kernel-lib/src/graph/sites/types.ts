import type { SiteLabel } from "../../result/types";

/** A site found in the graph: its label plus where its probabilities are read from. */
export interface AttentionSite extends SiteLabel {
  /** Graph output that carries the probabilities (added by surgery unless the model had it). */
  output: string;
  /** True when the model already exported this output (optimum `attentions.N` style). */
  existingOutput: boolean;
  /** The Softmax `axis` attribute as written (may be negative); the source axis of the data. */
  softmaxAxis: number;
  /** Opset < 13 Softmax flattens from `axis`; kept to interpret the axis correctly. */
  legacySoftmax: boolean;
}

/** A Softmax that was looked at and judged not to be attention, with the reason. */
export interface RejectedSoftmax {
  node: string;
  reason: string;
}

export interface SiteDiscovery {
  sites: AttentionSite[];
  rejected: RejectedSoftmax[];
  /** Fused attention ops whose probabilities cannot be exposed, with why. */
  unexposable: RejectedSoftmax[];
}
