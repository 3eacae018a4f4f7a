// Long-input views (issue 14, item 3): an 8,192-token input read as a RowSource whose rows are
// computed on demand (no T × T map is ever held, as with a lazy result), encoded as the pooled
// overview a live widget shows and as a report's overview + tile pyramid within the 20 MB default;
// then a zoomed 512 × 512 window assembled from the pyramid the way the heatmap does.
import { createRequire } from "node:module";
import { timed } from "./common.mjs";

const require = createRequire(import.meta.url);
const T = 8192;
const H = 4;

/** Rows of a local-attention head: weight ∝ 1 / (1 + |t − s| / (h + 1)), normalized per row. */
function source() {
  const sites = [
    {
      id: "encoder.self.0",
      stack: "encoder",
      kind: "self",
      layer: 0,
      heads: H,
      causal: false,
      node: "bench",
      dims: [1, H, T, T],
      mode: "lazy",
      bytes: 0,
    },
  ];
  const row = (h, t, out, at) => {
    let sum = 0;
    for (let s = 0; s < T; s++) sum += out[at + s] = 1 / (1 + Math.abs(t - s) / (h + 1));
    for (let s = 0; s < T; s++) out[at + s] /= sum;
  };
  return {
    sites,
    provider: "cpu",
    fallbacks: [],
    masks: {},
    outputs: {},
    async rows(_site, batch, [r0, r1], heads = [0, 1, 2, 3]) {
      const data = new Float32Array(heads.length * (r1 - r0) * T);
      heads.forEach((h, k) => {
        for (let t = r0; t < r1; t++) row(h, t, data, (k * (r1 - r0) + t - r0) * T);
      });
      return { site: sites[0].id, batch, rows: [r0, r1], heads, data, dims: [1, heads.length, r1 - r0, T] };
    },
    async tile() {
      throw new Error("not used");
    },
  };
}

export default async function run() {
  const attnlens = require("../kernel-lib/dist/index.js");
  const widgets = require("../widgets/dist/index.js");
  const src = source();
  let live;
  let report;
  const liveMs = await timed(async () => {
    live = await attnlens.tiledPayloadFrom(src, { tiles: false });
  });
  const reportMs = await timed(async () => {
    report = await attnlens.tiledPayloadFrom(src, {});
  });
  const text = JSON.stringify(report);
  const checked = widgets.decodePayload(JSON.parse(text));
  const base = widgets.siteMatrix(checked, widgets.normalizeSelection(checked, { head: 2 }));
  let zoomed;
  const zoomMs = await timed(async () => {
    zoomed = await widgets.zoomMatrix(checked, base, { rows: [4000, 4512], cols: [3900, 4412] });
  });
  const finest = report.tiles?.levels.at(-1)?.bin[0] ?? "none";
  return {
    title: `long-input views: ${T} tokens × ${H} heads, rows computed on demand`,
    rows: [
      { name: "live overview payload (256², no tiles)", value: liveMs, unit: "ms" },
      { name: "· its size", value: JSON.stringify(live).length / 1e6, unit: "MB" },
      { name: "report payload (overview + tiles)", value: reportMs, unit: "ms" },
      { name: "· its size (budget 20 MB)", value: text.length / 1e6, unit: "MB" },
      {
        name: "· tile levels (tokens per cell)",
        value: report.tiles?.levels.map((l) => l.bin[0]).join(", ") ?? "none",
        unit: "",
      },
      { name: "· finest level", value: finest, unit: "tokens per cell" },
      { name: "zoom 512×512 window from the tiles", value: zoomMs, unit: "ms" },
      { name: "· drawn at", value: zoomed.zoom.bin[0], unit: "tokens per cell" },
      { name: "peak RSS", value: process.resourceUsage().maxRSS / 1024, unit: "MB" },
    ],
  };
}
