/**
 * The `text/plain` of a display bundle: what the output holds, in two lines, for consoles, kernels
 * without the extension, and `jupyter nbconvert --to markdown`.
 */
import type { AttentionResult } from "../../result/types";

export const EXTENSION_HINT =
  "interactive view: install the attnlens JupyterLab extension (node scripts/setup-jupyter.mjs in the attnlens repository)";

function range(ids: string[]): string {
  if (ids.length <= 3) return ids.join(", ");
  return `${ids[0]} … ${ids[ids.length - 1]}`;
}

/** "attnlens heatmap · 4 sites (encoder.self.0 … decoder.cross.1) · 4 heads · 1 sample × 9 tokens · cpu" */
export function summarize(result: AttentionResult, view: string, title?: string): string {
  const sites = result.sites;
  const heads = [...new Set(sites.map((s) => s.dims[1]))].join("/");
  const [B] = sites[0]?.dims ?? [0];
  const lengths = [...new Set(sites.flatMap((s) => [s.dims[2], s.dims[3]]))].sort((a, b) => a - b);
  const tokens = lengths.length === 1 ? `${lengths[0]}` : `${lengths[0]}–${lengths[lengths.length - 1]}`;
  const parts = [
    `attnlens ${view}${title ? `: ${title}` : ""}`,
    `${sites.length} site${sites.length === 1 ? "" : "s"} (${range(sites.map((s) => s.id))})`,
    `${heads} heads`,
    `${B} sample${B === 1 ? "" : "s"} × ${tokens} tokens`,
    `provider ${result.provider}`,
  ];
  return parts.join(" · ");
}
