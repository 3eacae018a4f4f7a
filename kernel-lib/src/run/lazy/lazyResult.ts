/**
 * A lazy run's row source: per site either the values its probabilities are recomputed from
 * (queries, keys, side tensors, fed to a replay session) or, for sites held full, the map.
 */
import type * as ort from "onnxruntime-node";
import { AttnlensError } from "../../errors";
import { type ReplayChain, replayModel, type SiteCapture } from "../../graph/lazy/capture";
import { DataType } from "../../graph/onnx/schema";
import type { AttentionSite } from "../../graph/sites/types";
import { type BhtsMap, toBhts, toFloat32 } from "../../result/layout";
import type { LazySite, RowBlock, Tile, TileRequest } from "../../result/lazy";
import { formatBytes } from "../../util/bytes";
import type { ReplaySessions } from "./replaySessions";
import { int64Tensor, sliceAxis } from "./tensorSlices";

/** What one site holds. */
export interface HeldSite {
  label: LazySite;
  site: AttentionSite;
  /** Lazy sites: the capture and the fetched value behind each replay input. */
  capture?: SiteCapture;
  values?: Map<string, ort.Tensor>;
  /** Full sites: the map, [B, H, T, S]. */
  map?: BhtsMap;
}

export class SiteRows {
  private released = false;
  private readonly byId: Map<string, HeldSite>;

  constructor(
    private readonly held: readonly HeldSite[],
    private readonly replays: ReplaySessions,
    /** Refuse row blocks whose replay would return more than this many bytes (the model's maxAttentionBytes). */
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    this.byId = new Map(held.map((h) => [h.label.id, h]));
  }

  get sites(): LazySite[] {
    return this.held.map((h) => h.label);
  }

  async rows(id: string, batch: number, rows: [number, number], heads?: readonly number[]): Promise<RowBlock> {
    const h = this.site(id);
    const [b, hc, t] = h.label.dims;
    checkIndex(`batch ${batch}`, batch, b, `site ${id} has batch ${b}`);
    const [r0, r1] = rows ?? [];
    if (!Number.isInteger(r0) || !Number.isInteger(r1) || r0 < 0 || r1 > t || r0 >= r1)
      throw new AttnlensError(
        "BAD_INPUT",
        `rows [${r0}, ${r1}) are out of range for site ${id}: it has ${t} target rows; give [start, end) with 0 ≤ start < end ≤ ${t}`,
      );
    const wanted = heads ? [...heads] : Array.from({ length: hc }, (_, i) => i);
    for (const x of wanted) checkIndex(`head ${x}`, x, hc, `site ${id} has ${hc} heads`);
    // The replay computes every sample and head of the block unless one head is sliced out.
    const [, , , sources] = h.label.dims;
    const replayed = (wanted.length === 1 ? 1 : hc * b) * (r1 - r0) * sources * 4;
    if (!h.map && replayed > this.maxBytes)
      throw new AttnlensError(
        "TOO_LARGE",
        `rows [${r0}, ${r1}) of site ${id} would take ${formatBytes(replayed)}, over the ${formatBytes(this.maxBytes)} limit: ask for fewer rows at a time, or one head`,
      );
    // One head of a [B, H, T, d] layout: replay that head alone (a tile's usual case, H times less work).
    const head = !h.map && wanted.length === 1 && headSliceable(h) ? wanted[0] : null;
    const map = h.map ?? (await this.replay(h, r0, r1, head));
    const local = h.map ? r0 : 0;
    const data = pick(map, batch, head === null ? wanted : [0], local, r1 - r0);
    return { site: id, batch, rows: [r0, r1], heads: wanted, data, dims: [1, wanted.length, r1 - r0, map.dims[3]] };
  }

  async tile(request: TileRequest): Promise<Tile> {
    const { site, batch, head, rows, cols } = request ?? ({} as TileRequest);
    const h = this.site(site);
    const s = h.label.dims[3];
    const [c0, c1] = cols ?? [];
    if (!Number.isInteger(c0) || !Number.isInteger(c1) || c0 < 0 || c1 > s || c0 >= c1)
      throw new AttnlensError(
        "BAD_INPUT",
        `cols [${c0}, ${c1}) are out of range for site ${site}: it has ${s} sources; give [start, end) with 0 ≤ start < end ≤ ${s}`,
      );
    const block = await this.rows(site, batch, rows, [head]);
    const r = rows[1] - rows[0];
    const w = c1 - c0;
    const data = new Float32Array(r * w);
    for (let i = 0; i < r; i++) data.set(block.data.subarray(i * s + c0, i * s + c1), i * w);
    return { site, batch, head, rows: [rows[0], rows[1]], cols: [c0, c1], data };
  }

  release(): void {
    this.released = true;
    for (const h of this.held) {
      h.values = undefined;
      h.map = undefined;
    }
  }

  private site(id: string): HeldSite {
    if (this.released)
      throw new AttnlensError("BAD_INPUT", "this lazy result was released: run runLazy() again for new maps");
    const h = this.byId.get(id);
    if (!h)
      throw new AttnlensError(
        "BAD_INPUT",
        `no site "${id}" in this lazy result; sites are: ${[...this.byId.keys()].join(", ")}`,
      );
    return h;
  }

  /** The probabilities of rows [r0, r1), all batches and heads, [B, H, r, S]. */
  private async replay(h: HeldSite, r0: number, r1: number, head: number | null): Promise<BhtsMap> {
    let values = h.values as Map<string, ort.Tensor>;
    if (head !== null) {
      values = new Map(values);
      for (const [slot, t] of values)
        if (t.dims.length === 4 && t.dims[1] > 1) values.set(slot, sliceAxis(t, 1, head, head + 1));
    }
    return replayRows(h.site, h.capture as SiteCapture, values, this.replays, r0, r1, h.label.dims[0]);
  }
}

/**
 * Whether one head can be replayed alone: queries and keys [B, H, ·, ·] with the site's H on axis
 * 1, side tensors without a head axis or with one of size 1 or H on axis 1 of four, and no shape
 * (a Reshape could fold heads into the batch).
 */
function headSliceable(h: HeldSite): boolean {
  const heads = h.label.dims[1];
  if (heads < 2 || !h.values || h.capture?.inputs?.some((i) => i.role === "shape")) return false;
  const q = h.values.get("q");
  const k = h.values.get("k");
  if (q?.dims.length !== 4 || k?.dims.length !== 4 || q.dims[1] !== heads || k.dims[1] !== heads) return false;
  for (const i of h.capture?.inputs ?? []) {
    if (i.role !== "side") continue;
    const t = h.values.get(i.slot) as ort.Tensor;
    if (t.dims.length === 3 || t.dims.length > 4) return false;
    if (t.dims.length === 4 && t.dims[1] !== 1 && t.dims[1] !== heads) return false;
  }
  return true;
}

/** Runs a site's replay on rows [r0, r1): queries and row-wise side tensors sliced, shapes adjusted. */
export async function replayRows(
  site: AttentionSite,
  capture: SiteCapture,
  values: Map<string, ort.Tensor>,
  replays: ReplaySessions,
  r0: number,
  r1: number,
  batch: number | null,
): Promise<BhtsMap> {
  const q = values.get("q") as ort.Tensor;
  const t = q.dims[q.dims.length - 2];
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of capture.inputs ?? []) {
    if (input.role === "shape") {
      const shape = [...(input.constant ?? Array.from(values.get(input.slot)?.data as BigInt64Array, Number))];
      if (shape.length >= 2 && shape[shape.length - 2] === t) shape[shape.length - 2] = r1 - r0;
      feeds[input.slot] = int64Tensor(shape);
      continue;
    }
    const v = values.get(input.slot) as ort.Tensor;
    const rowWise =
      input.role === "query" ||
      (input.role === "side" && v.dims.length >= 2 && v.dims[v.dims.length - 2] === t && t > 1);
    feeds[input.slot] = rowWise && (r0 > 0 || r1 < t) ? sliceAxis(v, -2, r0, r1) : v;
  }
  const typed = Object.entries(feeds).map(([name, f]) => ({ name, elemType: ELEM_TYPES[f.type] ?? DataType.FLOAT }));
  const session = await replays.session(replayModel(capture.replay as ReplayChain, typed));
  let out: ort.InferenceSession.OnnxValueMapType;
  try {
    out = await session.run(feeds);
  } catch (e) {
    throw new AttnlensError(
      "RUN_FAILED",
      `site ${site.id}: the replay of rows [${r0}, ${r1}) failed: ${(e as Error).message.split("\n")[0]}`,
    );
  }
  const p = out.probs as ort.Tensor;
  return toBhts(site, toFloat32(p), p.dims, batch);
}

const ELEM_TYPES: Record<string, number> = {
  float32: DataType.FLOAT,
  float16: DataType.FLOAT16,
  float64: DataType.DOUBLE,
  int64: DataType.INT64,
  int32: DataType.INT32,
  bool: DataType.BOOL,
  uint8: DataType.UINT8,
  int8: DataType.INT8,
};

/** Sample `batch`, the listed heads, rows [from, from + r) of a [B, H, T, S] map. */
function pick(map: BhtsMap, batch: number, heads: number[], from: number, r: number): Float32Array {
  const [, hc, t, s] = map.dims;
  const out = new Float32Array(heads.length * r * s);
  heads.forEach((h, i) => {
    const start = ((batch * hc + h) * t + from) * s;
    out.set(map.data.subarray(start, start + r * s), i * r * s);
  });
  return out;
}

function checkIndex(what: string, i: number, n: number, has: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new AttnlensError("BAD_INPUT", `${what} is out of range: ${has}`);
}
