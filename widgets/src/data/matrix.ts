/**
 * Payload → the matrix one heatmap shows: one head or a head aggregate of one sample, padding
 * removed, optionally without special tokens (rows renormalized over the sources left).
 */
import { mapAt } from "../payload/maps";
import type { AttentionPayload, EncodedMaps, PayloadProbe, PayloadSite } from "../payload/types";
import { type AxisTokens, axisTokens } from "./labels";
import { type HeadChoice, headName, type Selection, siteFor, TYPE_NAMES } from "./selection";
import type { ZoomInfo } from "./zoom";

export interface MatrixView {
  /** R×C weights (probability mass), row-major. */
  values: Float32Array;
  R: number;
  C: number;
  rows: AxisTokens;
  cols: AxisTokens;
  /** Largest value (the brightest colour). */
  max: number;
  title: string;
  /** What the numbers are, for tooltips: "weight", "mean weight", "mass (pooled)". */
  measure: string;
  /** A remark shown under the title (pooling, missing maps). */
  note?: string;
  /**
   * Set when the cells are a window of one head's map at `bin` tokens per cell (a long input's
   * pooled overview, or a zoomed window of it): the heatmap can then zoom to finer data.
   */
  zoom?: ZoomInfo;
}

function fuse(maps: EncodedMaps, sample: number, head: HeadChoice): Float32Array {
  if (typeof head === "number") return mapAt(maps, sample, head);
  const H = maps.dims[1];
  const out = new Float32Array(maps.dims[2] * maps.dims[3]);
  for (let h = 0; h < H; h++) {
    const m = mapAt(maps, sample, h);
    if (head === "mean") for (let i = 0; i < out.length; i++) out[i] += m[i] / H;
    else for (let i = 0; i < out.length; i++) if (m[i] > out[i]) out[i] = m[i];
  }
  return out;
}

function keep(axis: AxisTokens, n: number, hideSpecial: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (!axis.padding.has(i) && !(hideSpecial && axis.special.has(i))) out.push(i);
  return out;
}

function pick(axis: AxisTokens, idx: number[]): AxisTokens {
  return { ...axis, labels: idx.map((i) => axis.labels[i]), positions: idx.map((i) => axis.positions[i]) };
}

/** Keeps rows `ri` and columns `ci`; renormalizes rows when asked. */
export function subMatrix(
  full: Float32Array,
  C: number,
  ri: number[],
  ci: number[],
  renormalize: boolean,
): Float32Array {
  const out = new Float32Array(ri.length * ci.length);
  ri.forEach((r, y) => {
    let sum = 0;
    for (let x = 0; x < ci.length; x++) sum += out[y * ci.length + x] = full[r * C + ci[x]];
    if (renormalize && sum > 0) for (let x = 0; x < ci.length; x++) out[y * ci.length + x] /= sum;
  });
  return out;
}

function maxOf(values: Float32Array): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > m) m = values[i];
  return m;
}

/** Builds the view of `maps` (a site's or a probe's) for one sample. */
export function blockMatrix(
  payload: AttentionPayload,
  axes: { rows: PayloadSite["rows"]; cols: PayloadSite["cols"]; rowOffset?: number },
  maps: EncodedMaps,
  sample: number,
  head: HeadChoice,
  hideSpecial: boolean,
): Omit<MatrixView, "title" | "measure"> {
  const [, , Ty, Sx] = maps.dims;
  const rows = axisTokens(payload.tokens[axes.rows]!, sample, Ty, maps.bin[0], axes.rowOffset);
  const cols = axisTokens(payload.tokens[axes.cols]!, sample, Sx, maps.bin[1]);
  const full = fuse(maps, sample, head);
  const ri = keep(rows, Ty, hideSpecial);
  const ci = keep(cols, Sx, hideSpecial);
  const values =
    ri.length === Ty && ci.length === Sx ? full : subMatrix(full, Sx, ri, ci, hideSpecial && ci.length < Sx);
  return { values, R: ri.length, C: ci.length, rows: pick(rows, ri), cols: pick(cols, ci), max: maxOf(values) };
}

export function siteMatrix(payload: AttentionPayload, sel: Selection): MatrixView {
  const site = siteFor(payload, sel);
  if (!site) throw new Error(`attnlens: no ${sel.type} site at layer ${sel.layer}`);
  const maps = site.maps ?? site.overview;
  if (!maps) throw new Error(`attnlens: site ${site.id} carries no maps`);
  const pooled = maps.bin[0] > 1 || maps.bin[1] > 1;
  const m = blockMatrix(payload, site, maps, sel.sample, sel.head, sel.hideSpecial && !pooled);
  const notes: string[] = [];
  if (pooled) notes.push(`pooled: ${maps.bin[0]}×${maps.bin[1]} tokens per cell`);
  if (!site.maps) notes.push("full map not in the payload (encodePayload sites option)");
  if (sel.hideSpecial && pooled) notes.push("special tokens cannot be hidden in pooled maps");
  else if (sel.hideSpecial) notes.push("special tokens hidden, rows renormalized");
  const measure = pooled ? "mass (pooled)" : typeof sel.head === "number" ? "weight" : `${sel.head} weight`;
  // A pooled map of one head, every cell kept: zooming asks for finer data of its windows.
  const zoomable = pooled && typeof sel.head === "number" && m.R === maps.dims[2] && m.C === maps.dims[3];
  if (zoomable) notes.push("drag a box or scroll to zoom in");
  return {
    ...m,
    ...(zoomable
      ? {
          zoom: {
            site: site.id,
            sample: sel.sample,
            head: sel.head as number,
            origin: [0, 0] as [number, number],
            bin: [maps.bin[0], maps.bin[1]] as [number, number],
            extent: [site.dims[2], site.dims[3]] as [number, number],
            from: "overview" as const,
          },
        }
      : {}),
    title: `${TYPE_NAMES[sel.type]} · layer ${site.layer} · ${headName(sel.head)}`,
    measure,
    note: notes.length > 0 ? notes.join("; ") : undefined,
  };
}

/** Rollout / flow view of one sample; `part` "cross" = the share routed to encoder tokens. */
export function probeMatrix(
  probe: PayloadProbe,
  payload: AttentionPayload,
  sample: number,
  part: "self" | "cross",
): MatrixView {
  const cross = part === "cross" && probe.cross;
  const maps = cross ? probe.cross! : probe.maps;
  const axes = cross ? { rows: probe.rows, cols: "source" as const } : probe;
  const m = blockMatrix(payload, axes, maps, sample, 0, false);
  const what = probe.method === "rollout" ? "attention rollout" : "attention flow";
  return {
    ...m,
    title: `${what} · ${probe.stack} layers ${probe.layers[0]}–${probe.layers[probe.layers.length - 1]}${cross ? " · to encoder tokens" : ""}`,
    measure: "share",
    note: `heads fused by ${probe.fusion}; rows: top-layer tokens, columns: input tokens`,
  };
}
