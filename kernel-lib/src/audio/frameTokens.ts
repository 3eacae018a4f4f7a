/**
 * Labels for an audio encoder's positions: each is a span of feature frames (Whisper's second convolution
 * has stride 2, so one position per two 10 ms frames = 20 ms). The stride is measured, not assumed: frames
 * fed ÷ positions the encoder returned.
 */
import { AttnlensError } from "../errors";
import type { TokenInfo } from "../result/types";

/** One TokenInfo per encoder position and clip: text `0.42 s`, `seconds` its span, `word` its index. */
export function frameTokens(
  batch: number,
  frames: number,
  positions: number,
  frameSeconds: number | null,
): TokenInfo[][] {
  const stride = frames / positions;
  if (!Number.isInteger(stride) || stride < 1) {
    throw new AttnlensError(
      "BAD_MODEL",
      `the audio encoder returned ${positions} positions for ${frames} frames, not a whole number of frames each`,
    );
  }
  const row: TokenInfo[] = Array.from({ length: positions }, (_, p) => {
    const token: TokenInfo = { text: `frame ${p * stride}`, id: p, word: p, special: false };
    if (frameSeconds == null) return token;
    const start = p * stride * frameSeconds;
    const end = (p + 1) * stride * frameSeconds;
    return { ...token, text: `${start.toFixed(2)} s`, seconds: [round(start), round(end)] };
  });
  return Array.from({ length: batch }, () => row.map((t) => ({ ...t })));
}

// Times to the microsecond: 0.02 · 3 is 0.06, not 0.060000000000000005.
const round = (s: number) => Math.round(s * 1e6) / 1e6;
