/**
 * One sample of a batched result as a result of its own (batch 1, views into the batch's maps): the
 * metrics and the pattern classifier then see exactly what `attnlens metrics` sees for that input,
 * padding columns masked out by the sample's own mask.
 */
import type { AttentionResult, PositionMask, Stack } from "../../result/types";

function maskRow(mask: PositionMask | undefined, b: number): PositionMask | undefined {
  if (!mask) return undefined;
  const [, len] = mask.dims;
  return { data: mask.data.subarray(b * len, (b + 1) * len), dims: [1, len] };
}

function pick<T>(per: Partial<Record<Stack, T[]>> | undefined, b: number): Partial<Record<Stack, T[]>> | undefined {
  if (!per) return undefined;
  const out: Partial<Record<Stack, T[]>> = {};
  for (const k of Object.keys(per) as Stack[]) {
    const list = per[k];
    if (list) out[k] = [list[b]];
  }
  return out;
}

export function sampleResult(result: AttentionResult, b: number): AttentionResult {
  const masks: AttentionResult["masks"] = {};
  const encoder = maskRow(result.masks.encoder, b);
  const decoder = maskRow(result.masks.decoder, b);
  if (encoder) masks.encoder = encoder;
  if (decoder) masks.decoder = decoder;
  const tokens = result.tokens
    ? {
        ...(result.tokens.source ? { source: [result.tokens.source[b]] } : {}),
        ...(result.tokens.target ? { target: [result.tokens.target[b]] } : {}),
      }
    : undefined;
  const inputIds = pick(result.inputIds, b);
  const segments = pick(result.segments, b);
  return {
    provider: result.provider,
    fallbacks: result.fallbacks,
    outputs: {},
    masks,
    ...(tokens ? { tokens } : {}),
    ...(inputIds ? { inputIds } : {}),
    ...(segments ? { segments } : {}),
    sites: result.sites.map((s) => {
      const [, H, T, S] = s.dims;
      const per = H * T * S;
      return { ...s, data: s.data.subarray(b * per, (b + 1) * per), dims: [1, H, T, S] };
    }),
  };
}
