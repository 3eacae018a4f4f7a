/**
 * The widget state a front end may write, and its checks: each returns what is wrong with a value
 * (for the view and the kernel log), or null. Front-end values are untrusted: shapes, types and
 * sizes are checked before the kernel acts on them.
 */
import type { FieldCheck } from "./protocol";

/** What the user clicked in the head grid or heatmap. */
export interface WidgetSelection {
  /** Site id, e.g. "encoder.self.1". */
  site: string;
  layer: number;
  /** A head, or heads fused ("mean", "max"). */
  head: number | "mean" | "max";
  /** The query (target) token clicked in the heatmap, or null when a head was clicked. */
  token: number | null;
  /** The sample shown. */
  sample: number;
}

/** Longest text the text box may send (characters). */
export const MAX_TEXT_CHARS = 10_000;

const isIndex = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 1e6;

export const checkSelection: FieldCheck = (value) => {
  if (!value || typeof value !== "object" || Array.isArray(value)) return "selection must be an object";
  const s = value as Record<string, unknown>;
  const wrong: string[] = [];
  if (typeof s.site !== "string" || s.site.length === 0 || s.site.length > 200) wrong.push("site (a site id)");
  if (!isIndex(s.layer)) wrong.push("layer (an index)");
  if (!isIndex(s.head) && s.head !== "mean" && s.head !== "max") wrong.push('head (an index, "mean" or "max")');
  if (s.token !== null && s.token !== undefined && !isIndex(s.token)) wrong.push("token (an index or null)");
  if (s.sample !== undefined && !isIndex(s.sample)) wrong.push("sample (an index)");
  const extra = Object.keys(s).filter((k) => !["site", "layer", "head", "token", "sample"].includes(k));
  if (extra.length > 0) wrong.push(`no other keys (got ${extra.slice(0, 5).join(", ")})`);
  return wrong.length > 0 ? `selection has a wrong ${wrong.join(", ")}` : null;
};

export function checkText(value: unknown): string | null {
  if (typeof value !== "string") return "the text to run must be a string";
  if (value.trim() === "") return "the text to run is empty";
  if (value.length > MAX_TEXT_CHARS)
    return `the text to run has ${value.length} characters (at most ${MAX_TEXT_CHARS})`;
  return null;
}
