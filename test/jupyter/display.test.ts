/**
 * The display layer without a kernel: what `show` would send (the bundle), the "too large" path,
 * pooling to fit, the message outside a kernel, and the kernel channel found among loaded modules.
 * Runs the built kernel-lib (dist), as a notebook would.
 */
import { createRequire } from "node:module";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ATTNLENS_MIME as MIME } from "../../widgets/src/mime";
import { HOSTILE_TOKENS, syntheticResult } from "./results";
import { ensureBuilt } from "./setup";

type Attnlens = typeof import("attnlens");
const load = createRequire(__filename);
let attnlens: Attnlens;

beforeAll(() => {
  ensureBuilt("kernel-lib");
  attnlens = load("attnlens") as Attnlens;
});

describe("displayBundle", () => {
  it("holds the payload as a JSON object, a static SVG with a raster inside, and text/plain", async () => {
    const result = syntheticResult({ text: ["[CLS]", "the", "cat", "sat", "[SEP]"], decoder: true });
    const bundle = await attnlens.displayBundle(result, { title: "demo" });
    expect(Object.keys(bundle.data).sort()).toEqual([MIME, "image/svg+xml", "text/plain"].sort());
    const payload = bundle.data[MIME] as { v: number; sites: { id: string }[]; title?: string };
    expect(typeof payload).toBe("object");
    expect(payload.v).toBe(1);
    expect(payload.title).toBe("demo");
    expect(payload.sites.map((s) => s.id)).toEqual(result.sites.map((s) => s.id));
    const svg = bundle.data["image/svg+xml"] as string;
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toMatch(/<image[^>]+href="data:image\/png;base64,/);
    expect(svg.match(/<rect/g)?.length ?? 0).toBeLessThan(200); // a raster, not one rect per cell
    expect(bundle.data["text/plain"]).toMatch(
      /attnlens views: demo · 6 sites .* · 2 heads · 1 sample × 5 tokens · provider cpu/,
    );
    expect(bundle.metadata).toEqual({ [MIME]: {} });
    expect(attnlens.ATTNLENS_MIME).toBe(MIME);
  });

  // [view, the widgets tab it opens on]
  it.each([
    ["heatmap", "heatmap"],
    ["headGrid", "heatmap"],
    ["metrics", "heatmap"],
    ["lines", "lines"],
    ["flow", "rollout"],
  ] as const)("renders the %s view's static picture, and opens the widgets on %s", async (view, tab) => {
    const bundle = await attnlens.displayBundle(syntheticResult({ tokens: 7 }), {
      view,
      site: "encoder.self.1",
      head: 1,
    });
    expect(bundle.metadata[MIME]).toEqual({
      view: tab,
      selection: { type: "encoder.self", layer: 1, head: 1, sample: 0 },
    });
    expect(bundle.data["image/svg+xml"]).toMatch(/^<svg/);
    expect(bundle.notes).toEqual([]);
  });

  it("keeps hostile tokens as data: escaped in the SVG, verbatim in the payload", async () => {
    const bundle = await attnlens.displayBundle(syntheticResult({ text: HOSTILE_TOKENS }), { view: "heatmap" });
    const svg = bundle.data["image/svg+xml"] as string;
    expect(svg).not.toMatch(/<img|<script/);
    expect(svg).toContain("&lt;img src=x onerror=alert(1)&gt;");
    const payload = bundle.data[MIME] as { tokens: { source: { text: string[][] } } };
    expect(payload.tokens.source.text[0]).toEqual(HOSTILE_TOKENS);
  });

  it("refuses an unknown view with the list of views", async () => {
    await expect(attnlens.displayBundle(syntheticResult(), { view: "pie" as never })).rejects.toThrow(
      /heatmap, headGrid, metrics, lines, flow/,
    );
  });
});

describe("a result too large for a notebook output", () => {
  // 1 sample × 8 heads × 512² × 2 layers = 4.2 M weights: 5.6 MB as a uint8 payload, over 2 MiB.
  const big = () => syntheticResult({ tokens: 512, heads: 8, layers: 2 });

  it("becomes a notice naming the limit and the options (pool, report file), from the size estimate", async () => {
    const bundle = await attnlens.displayBundle(big());
    // "would be": the budget's estimate, made before any encoding work (a measured payload "is")
    expect(bundle.data["text/plain"]).toMatch(/the payload would be [\d.]+ MiB, above the limit/);
    expect(bundle.tooLarge).toBe(true);
    expect(Object.keys(bundle.data).sort()).toEqual(["text/html", "text/plain"]);
    const text = bundle.data["text/plain"] as string;
    expect(text).toMatch(/too large for a notebook output \(limit 2\.00 MiB\)/);
    expect(text).toContain("pool: true");
    expect(text).toContain("exportReport(result");
    expect(bundle.data["text/html"]).toMatch(/^<pre class="attnlens-too-large">/);
  });

  it("is pooled to fit with pool: true", async () => {
    const bundle = await attnlens.displayBundle(big(), { pool: true, view: "heatmap" });
    expect(bundle.tooLarge).toBeUndefined();
    expect(Buffer.byteLength(JSON.stringify(bundle.data[MIME]))).toBeLessThanOrEqual(attnlens.DISPLAY_MAX_BYTES);
    expect(bundle.data["text/plain"]).toMatch(/pooled to \d+ cells per axis/);
    expect(bundle.data["image/svg+xml"]).toMatch(/^<svg/);
  });
});

describe("show", () => {
  const fakeId = "/fake/node_modules/tslab/dist/jupyter.js";
  afterEach(() => {
    delete load.cache[fakeId];
    vi.restoreAllMocks();
  });

  it("outside a kernel, says how to get a report instead and returns", async () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await expect(attnlens.show(syntheticResult())).resolves.toBeUndefined();
    const said = err.mock.calls.map((c) => String(c[0])).join("");
    expect(said).toContain("not one");
    expect(said).toContain("exportReport(result");
    expect(said).toContain("attnlens report DIR -o report.html");
  });

  it("sends one full bundle through the running tslab kernel's lastWriteDisplayData", async () => {
    const sent: {
      message: { data: Record<string, unknown>; metadata: unknown; transient: unknown };
      update: boolean;
    }[] = [];
    const exports = { lastWriteDisplayData: (message: never, update: boolean) => sent.push({ message, update }) };
    load.cache[fakeId] = { id: fakeId, filename: fakeId, loaded: true, exports } as never;
    await attnlens.showHeatmap(syntheticResult(), { head: 1 });
    expect(sent).toHaveLength(1);
    expect(sent[0].update).toBe(false);
    expect(Object.keys(sent[0].message.data).sort()).toEqual([MIME, "image/svg+xml", "text/plain"].sort());
    expect(sent[0].message.metadata).toEqual({
      [MIME]: { view: "heatmap", selection: { type: "encoder.self", layer: 0, head: 1, sample: 0 } },
    });
    expect(sent[0].message.transient).toEqual({});
  });
});
