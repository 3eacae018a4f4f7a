/**
 * Colours. Weights use viridis (perceptually uniform, colour-blind safe, readable on light and dark
 * backgrounds); the raster PNGs use exactly Vega's "viridis" scheme (the same stops, piecewise
 * linear in RGB), so a colour bar drawn by Vega matches the pixels. Pattern labels use Paul Tol's
 * "muted" qualitative scheme (colour-blind safe), with grey for "mixed".
 */

/** Vega's viridis stops (vega-scale, schemes.js). */
const VIRIDIS =
  "440154470e61481a6c482575472f7d443a834144873d4e8a39568c35608d31688e2d708e2a788e27818e23888e21918d1f988b1fa08822a8842ab07f35b77943bf7154c56866cc5d7ad1518fd744a5db36bcdf27d2e21be9e51afde725";

const STOPS: number[][] = [];
for (let i = 0; i < VIRIDIS.length; i += 6) {
  STOPS.push([0, 2, 4].map((k) => Number.parseInt(VIRIDIS.slice(i + k, i + k + 2), 16)));
}

/** Viridis at t ∈ [0, 1] as [r, g, b] bytes (d3's piecewise RGB interpolation, rounded). */
export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [STOPS[i], STOPS[i + 1]];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

/** 256-entry RGB palette (768 bytes): index k = viridis(k / 255). */
export const VIRIDIS_PALETTE: Uint8Array = (() => {
  const p = new Uint8Array(768);
  for (let k = 0; k < 256; k++) p.set(viridis(k / 255), 3 * k);
  return p;
})();

export const PATTERN_COLORS: Record<string, string> = {
  diagonal: "#332288",
  previous: "#88CCEE",
  next: "#44AA99",
  induction: "#117733",
  vertical: "#999933",
  local: "#DDCC77",
  block: "#CC6677",
  sparse: "#882255",
  broad: "#AA4499",
  mixed: "#BBBBBB",
};

export const PATTERN_ORDER = Object.keys(PATTERN_COLORS);
