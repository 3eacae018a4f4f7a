/**
 * Swin-style windowed attention: which patch each query/key of a per-window map is. A block's map is
 * [batch·windows, heads, w², w²] (as transformers returns it): batch-major, windows in row-major order
 * over the stage's grid (padded up to a multiple of w), positions row-major inside a window. Odd
 * blocks of a stage first roll the grid by −⌊w/2⌋ (shifted windows); a stage whose grid is no larger
 * than the window has one window of the whole grid and no shift. Stage s works on patches merged
 * 2^s × 2^s, labelled at that stage's resolution.
 */
import { AttnlensError } from "../errors";
import type { ImageLayout, SiteLabel } from "../result/types";

/** Where each position of a Swin block's per-window map lies on the patch grid. */
export interface WindowLabels {
  stage: number;
  /** Block index within the stage (odd blocks are shifted when the grid is larger than the window). */
  block: number;
  /** The stage's patch grid [rows, cols] before padding. */
  grid: [number, number];
  window: number;
  shift: number;
  /** Windows per sample. */
  windows: number;
  /** Per window, w² labels: "patch (r, c)" (stage 0), "stage s patch (r, c)", or "pad". */
  labels: string[][];
}

/** The window labels of a Swin site (its layer counts blocks across stages, as attnlens numbers sites). */
export function windowLabels(layout: ImageLayout, site: Pick<SiteLabel, "id" | "layer">): WindowLabels {
  const { window, depths } = layout;
  if (window == null || !depths)
    throw new AttnlensError(
      "BAD_INPUT",
      `windowLabels: ${site.id} is not windowed attention (no window_size / depths)`,
    );
  let stage = 0;
  let block = site.layer;
  while (stage < depths.length && block >= depths[stage]) block -= depths[stage++];
  if (stage >= depths.length)
    throw new AttnlensError(
      "BAD_INPUT",
      `windowLabels: ${site.id} is beyond the ${depths.length} stages of depths ${depths}`,
    );
  let [h, w] = [layout.rows, layout.cols];
  for (let s = 0; s < stage; s++) [h, w] = [Math.ceil(h / 2), Math.ceil(w / 2)];
  const small = Math.min(h, w) <= window;
  const win = small ? Math.min(h, w) : window;
  const shift = small || block % 2 === 0 ? 0 : Math.floor(window / 2);
  const hp = Math.ceil(h / win) * win;
  const wp = Math.ceil(w / win) * win;
  const prefix = stage === 0 ? "" : `stage ${stage} `;
  const labels: string[][] = [];
  for (let wr = 0; wr < hp / win; wr++)
    for (let wc = 0; wc < wp / win; wc++) {
      const row: string[] = [];
      for (let i = 0; i < win * win; i++) {
        // torch.roll(x, −shift): position p of the rolled grid holds p + shift of the padded grid.
        const y = (wr * win + Math.floor(i / win) + shift) % hp;
        const x = (wc * win + (i % win) + shift) % wp;
        row.push(y < h && x < w ? `${prefix}patch (${y}, ${x})` : "pad");
      }
      labels.push(row);
    }
  return { stage, block, grid: [h, w], window: win, shift, windows: labels.length, labels };
}
