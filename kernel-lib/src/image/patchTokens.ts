/**
 * Token labels for a vision encoder's axis: the tokens before the patches ([CLS], DeiT's [DIST], …)
 * then one "patch (row, col)" per patch in row-major order, as the patch embedding flattens them.
 */
import type { TokenInfo } from "../result/types";

const PREFIX_NAMES = ["[CLS]", "[DIST]"];

/** Labels for `length` positions over a rows × cols grid; the extra leading positions are special tokens. */
export function patchTokens(length: number, rows: number, cols: number): TokenInfo[] | null {
  const prefix = length - rows * cols;
  if (prefix < 0) return null;
  const out: TokenInfo[] = [];
  for (let i = 0; i < prefix; i++)
    out.push({ text: PREFIX_NAMES[i] ?? `[REG${i - PREFIX_NAMES.length}]`, id: i, word: null, special: true });
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++)
      out.push({ text: `patch (${r}, ${c})`, id: prefix + r * cols + c, word: r * cols + c, special: false });
  return out;
}
