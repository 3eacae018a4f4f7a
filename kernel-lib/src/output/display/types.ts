/** Options and results of the display layer. */
import type { PayloadOptions } from "../payload";

/** The views a bundle can open on (the widgets show all of them; this one comes first). */
export type DisplayView = "heatmap" | "headGrid" | "metrics" | "lines" | "flow" | "patches";

export const DISPLAY_VIEWS: readonly DisplayView[] = ["heatmap", "headGrid", "metrics", "lines", "flow", "patches"];

/**
 * Options of `show` and the `show*` views: the payload options, the view and first selection, the size limit,
 * and the static fallback.
 */
export interface ShowOptions extends PayloadOptions {
  /** The view to open on (default: the widgets' overview; its static picture is the composite). */
  view?: DisplayView;
  /** Initial selection: site id, head (or "mean"/"max" over heads) and sample shown first. */
  site?: string;
  head?: number | "mean" | "max";
  sample?: number;
  /**
   * Limit on the payload in a notebook output, UTF-8 bytes of its JSON (default DISPLAY_MAX_BYTES, 2 MiB): Jupyter
   * drops outputs above about 3 MB (jupyter_server's iopub_data_rate_limit over its 3 s window).
   */
  maxBytes?: number;
  /** When the payload is over the limit: pool the maps (maxTokens) until it fits, instead of a message. */
  pool?: boolean;
  /** The static fallback for hosts without the extension: an SVG (default) or none. */
  fallback?: "svg" | false;
}

/** What the display layer sends: one Jupyter display_data content. */
export interface DisplayBundle {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** True when the bundle is the "too large" notice instead of a view. */
  tooLarge?: boolean;
  /** What was adjusted or left out, and why (pooling, a dropped static image). */
  notes: string[];
}
