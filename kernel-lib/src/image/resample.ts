/**
 * Resizing as Pillow does it (`Image.resize`, which transformers' image processors call): a separable
 * convolution whose support widens with the downscale factor (antialiasing), fixed-point coefficients
 * with 22 fractional bits, horizontal pass then vertical, each rounded back to 8 bits. Following Pillow's
 * arithmetic is what makes PNG inputs give the very pixel_values the Python processor gives.
 */
import type { RgbImage } from "./decode";

/** PIL.Image.Resampling values as preprocessor_config.json writes them. */
export const RESAMPLE = { nearest: 0, lanczos: 1, bilinear: 2, bicubic: 3, box: 4, hamming: 5 } as const;

interface Filter {
  support: number;
  weight(x: number): number;
}

const bilinear: Filter = { support: 1, weight: (x) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0) };
const bicubic: Filter = {
  support: 2,
  weight: (x) => {
    const a = -0.5;
    const t = Math.abs(x);
    if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
    if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
    return 0;
  },
};

const PRECISION_BITS = 32 - 8 - 2;

export function resampleFilter(resample: number): Filter {
  if (resample === RESAMPLE.bilinear) return bilinear;
  if (resample === RESAMPLE.bicubic) return bicubic;
  throw new RangeError(`resample ${resample}`);
}

/** For each output position: the first input index and the fixed-point weights (Pillow's precompute_coeffs). */
function coefficients(inSize: number, outSize: number, filter: Filter): { start: Int32Array; weights: Int32Array[] } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const start = new Int32Array(outSize);
  const weights: Int32Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const w: number[] = [];
    let sum = 0;
    for (let x = lo; x < hi; x++) {
      const v = filter.weight((x - center + 0.5) / filterScale);
      w.push(v);
      sum += v;
    }
    start[o] = lo;
    // Pillow rounds half away from zero when it converts to fixed point.
    weights.push(
      Int32Array.from(w, (v) => {
        const k = (sum !== 0 ? v / sum : 0) * (1 << PRECISION_BITS);
        return k < 0 ? Math.trunc(k - 0.5) : Math.trunc(k + 0.5);
      }),
    );
  }
  return { start, weights };
}

const clip8 = (acc: number) => {
  const v = Math.floor(acc / (1 << PRECISION_BITS));
  return Math.min(255, Math.max(0, v));
};

/** One pass along x (horizontal) or y (vertical); 3 interleaved channels. */
function pass(img: RgbImage, outW: number, outH: number, horizontal: boolean, filter: Filter): RgbImage {
  const { start, weights } = coefficients(horizontal ? img.width : img.height, horizontal ? outW : outH, filter);
  const out = new Uint8Array(outW * outH * 3);
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const o = horizontal ? x : y;
      const w = weights[o];
      for (let c = 0; c < 3; c++) {
        // Integer sums stay exact in doubles: |weight| < 2^23, pixel ≤ 255, few taps.
        let acc = half;
        for (let k = 0; k < w.length; k++) {
          const src = horizontal ? (y * img.width + start[o] + k) * 3 : ((start[o] + k) * img.width + x) * 3;
          acc += img.data[src + c] * w[k];
        }
        out[(y * outW + x) * 3 + c] = clip8(acc);
      }
    }
  }
  return { width: outW, height: outH, data: out };
}

/** Resizes to width × height with Pillow's bilinear or bicubic filter. */
export function resize(img: RgbImage, width: number, height: number, resample: number): RgbImage {
  const filter = resampleFilter(resample);
  let out = img;
  if (width !== img.width) out = pass(out, width, img.height, true, filter);
  if (height !== img.height) out = pass(out, width, height, false, filter);
  return out;
}
