/**
 * Attention over the patch grid: one query's weights on the source patches, drawn as a semi-transparent
 * heat layer over the picture the model saw (what ViT users look at: where does [CLS] look?). Pure:
 * payload in, Vega-Lite spec out; the layer and head (or the heads' mean) are Vega-Lite parameters bound
 * to selects, so switching them needs no new spec. The colour scale follows the shown head's maximum.
 */
import { mapAt } from "../payload/maps";
import type { AttentionPayload, PayloadSite } from "../payload/types";
import { THEMES, type ThemeName, themeConfig, VL_SCHEMA, type VlSpec } from "./theme";

export interface PatchOverlayOptions {
  sample?: number;
  /** Query position (row of the map): 0 = [CLS] by default; `prefix + r·cols + c` for patch (r, c). */
  query?: number;
  /** Largest picture side in px (default 384): the picture is scaled up or down to it. */
  size?: number;
  /** Heat layer opacity (default 0.6). */
  opacity?: number;
  theme?: ThemeName;
}

/** One patch's weight from the query, per layer and head (head −1 = mean over heads). */
export interface PatchCell {
  layer: number;
  head: number;
  r: number;
  c: number;
  w: number;
}

/** Sites whose maps cover the whole patch grid at full resolution (a CLIP text tower does not). */
export function patchSites(payload: AttentionPayload): PayloadSite[] {
  const img = payload.image;
  if (!img) return [];
  const n = img.prefix + img.rows * img.cols;
  return payload.sites.filter(
    (s) =>
      s.maps &&
      s.kind === "self" &&
      s.rows === "source" &&
      s.dims[2] === n &&
      s.dims[3] === n &&
      s.maps.bin[0] === 1 &&
      s.maps.bin[1] === 1,
  );
}

/** The cells of every patch site and head for one sample and query. */
export function patchCells(payload: AttentionPayload, sample: number, query: number): PatchCell[] {
  const img = payload.image;
  if (!img) return [];
  const n = img.prefix + img.rows * img.cols;
  const out: PatchCell[] = [];
  patchSites(payload).forEach((site, layer) => {
    const maps = site.maps!;
    const H = maps.dims[1];
    const mean = new Float64Array(img.rows * img.cols);
    for (let h = 0; h < H; h++) {
      const row = mapAt(maps, sample, h).subarray(query * n, (query + 1) * n);
      for (let p = 0; p < img.rows * img.cols; p++) {
        const w = row[img.prefix + p];
        mean[p] += w / H;
        out.push({ layer, head: h, r: Math.floor(p / img.cols), c: p % img.cols, w });
      }
    }
    for (let p = 0; p < mean.length; p++)
      out.push({ layer, head: -1, r: Math.floor(p / img.cols), c: p % img.cols, w: mean[p] });
  });
  return out;
}

/** Labels of the query positions: the prefix tokens, then "patch (r, c)". */
export function queryLabels(payload: AttentionPayload, sample = 0): string[] {
  const img = payload.image;
  if (!img) return [];
  const text = payload.tokens.source?.text[sample];
  const n = img.prefix + img.rows * img.cols;
  return Array.from({ length: n }, (_, i) =>
    i < img.prefix
      ? (text?.[i] ?? `[${i}]`)
      : `patch (${Math.floor((i - img.prefix) / img.cols)}, ${(i - img.prefix) % img.cols})`,
  );
}

export function patchOverlaySpec(payload: AttentionPayload, options: PatchOverlayOptions = {}): VlSpec {
  const img = payload.image;
  if (!img) throw new Error("patchOverlaySpec: the payload has no image (run a vision model on an image)");
  const sites = patchSites(payload);
  if (sites.length === 0)
    throw new Error(
      `patchOverlaySpec: no site has full maps over ${img.prefix} + ${img.rows}×${img.cols} positions (pooled or cropped payload?)`,
    );
  const sample = options.sample ?? 0;
  const query = options.query ?? 0;
  const theme = options.theme ?? "light";
  const size = options.size ?? 384;
  const scale = size / Math.max(img.width, img.height);
  const width = Math.round(img.width * scale);
  const height = Math.round(img.height * scale);
  const heads = sites[0].maps!.dims[1];
  const pw = width / img.cols;
  const ph = height / img.rows;
  const cells = patchCells(payload, sample, query).map((c) => ({
    ...c,
    x0: c.c * pw,
    x1: (c.c + 1) * pw,
    y0: c.r * ph,
    y1: (c.r + 1) * ph,
  }));
  const px = (field: string, extent: number) => ({
    field,
    type: "quantitative",
    scale: { domain: [0, extent], range: field.startsWith("x") ? [0, extent] : [0, extent], nice: false, zero: false },
    axis: null,
  });
  return {
    $schema: VL_SCHEMA,
    config: themeConfig(theme),
    width,
    height,
    title: { text: `attention from ${queryLabels(payload, sample)[query] ?? query}`, color: THEMES[theme].text },
    params: [
      {
        name: "layer",
        value: 0,
        bind: { input: "select", options: sites.map((_, i) => i), labels: sites.map((s) => s.id), name: "layer " },
      },
      {
        name: "head",
        value: -1,
        bind: {
          input: "select",
          options: [-1, ...Array.from({ length: heads }, (_, h) => h)],
          labels: ["mean", ...Array.from({ length: heads }, (_, h) => `head ${h}`)],
          name: "head ",
        },
      },
    ],
    layer: [
      {
        name: "patch_picture",
        data: { values: [{ url: img.urls[sample], x0: 0, x1: width, y0: 0, y1: height }] },
        mark: { type: "image", aspect: false, align: "left", baseline: "top" },
        encoding: {
          url: { field: "url", type: "nominal" },
          x: px("x0", width),
          y: px("y0", height),
          x2: { field: "x1" },
          y2: { field: "y1" },
        },
      },
      {
        name: "patch_heat",
        data: { name: "cells", values: cells },
        transform: [{ filter: "datum.layer == layer && datum.head == head" }],
        mark: { type: "rect", opacity: options.opacity ?? 0.6, stroke: null },
        encoding: {
          x: px("x0", width),
          y: px("y0", height),
          x2: { field: "x1" },
          y2: { field: "y1" },
          color: { field: "w", type: "quantitative", scale: { scheme: "inferno", zero: true }, title: "weight" },
          tooltip: [
            { field: "r", title: "row" },
            { field: "c", title: "col" },
            { field: "w", title: "weight", format: ".4f" },
          ],
        },
      },
    ],
    resolve: { scale: { x: "shared", y: "shared" } },
  };
}
