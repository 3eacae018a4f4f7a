/**
 * Widgets benchmark (issue 5). `npm run bench` builds first, then bench/run.mjs calls run().
 *
 * - time to first render, in headless Chromium, of the default view of a BERT-base-shaped payload
 *   (12 layers × 12 heads at 128 tokens: head grid + heatmap + metric overview), and of a single
 *   1,024 × 1,024 heatmap; median of RUNS fresh pages, from render() to the frame after "ready";
 * - switching the head in the 12 × 12 view: from the <select> change to the frame after the update;
 * - payload bytes vs the bertviz-style JSON of the same weights (nested float lists, Python
 *   json.dumps separators and float repr, computed exactly value by value).
 * Targets: grid < 1.5 s, 1,024-token heatmap < 1 s, switch head < 150 ms, BERT-base payload ≤ 4 MB.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../scripts/chromium.mjs";

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUNDLE = `${ROOT}widgets/dist/attnlens-widgets.js`;
const RUNS = 5;
const SWITCHES = 12;

/** kernel-lib's encoder and sample results: the built dist, else bundled from source with esbuild. */
async function kernelPayload() {
  const dist = `${ROOT}kernel-lib/dist/output/payload/`;
  if (existsSync(`${dist}index.js`) && existsSync(`${dist}sample.js`)) {
    return { ...require(`${dist}index.js`), ...require(`${dist}sample.js`) };
  }
  const { build } = await import("esbuild");
  const outfile = join(mkdtempSync(join(tmpdir(), "attnlens-bench-")), "payload.cjs");
  await build({
    stdin: {
      contents: 'export * from "./src/output/payload/index"; export * from "./src/output/payload/sample";',
      resolveDir: `${ROOT}kernel-lib`,
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    format: "cjs",
    outfile,
    logLevel: "warning",
  });
  return require(outfile);
}

/** Length of Python's repr() of a float (what json.dumps writes for each weight). */
function pyFloatLength(x) {
  if (x === 0) return 3; // "0.0"
  const [mantissa, e] = x.toExponential().split("e");
  const exp = Number(e);
  if (exp < -4 || exp >= 16) return mantissa.length + 2 + Math.max(2, String(Math.abs(exp)).length); // 1.5e-05
  const s = String(x);
  return s.includes(".") ? s.length : s.length + 2;
}

/** Exact size of Python's json.dumps({"attn": attn.tolist(), "left_text": toks, "right_text": toks}) for [L, H, T, S]. */
export function bertvizJsonBytes(result, tokens) {
  let bytes = 0;
  let values = 0;
  for (const site of result.sites) {
    const { data } = site;
    for (let i = 0; i < data.length; i++) bytes += pyFloatLength(data[i]);
    values += data.length;
  }
  const [, H, T, _S] = result.sites[0].dims;
  const L = result.sites.length;
  const lists = L + L * H + L * H * T; // "[" + "]" per list
  const separators = values - L * H * T + (L * H * T - L * H) + (L * H - L) + (L - 1); // ", " between items
  bytes += 2 * lists + 2 + 2 * separators;
  const text = JSON.stringify(tokens).replaceAll('","', '", "').length;
  return bytes + 2 * text + '{"attn": , "left_text": , "right_text": }'.length;
}

/** The same weights as JS JSON.stringify of nested arrays (no spaces): built for real, per layer. */
function jsJsonBytes(result) {
  let bytes = 2 + result.sites.length - 1;
  for (const site of result.sites) {
    const [, H, T, S] = site.dims;
    const nested = Array.from({ length: H }, (_, h) =>
      Array.from({ length: T }, (_, t) => Array.from(site.data.subarray((h * T + t) * S, (h * T + t + 1) * S))),
    );
    bytes += JSON.stringify(nested).length;
  }
  return bytes;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function freshPage(browser, js) {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.setContent(`<!doctype html><meta charset="utf-8"><script>${js}</script><div id="host"></div>`);
  return { page, errors };
}

/** render() → "attnlens:ready" → next frame, in ms. */
export function firstRender(page, payload, options) {
  return page.evaluate(
    ([p, o]) =>
      new Promise((resolve) => {
        const host = document.getElementById("host");
        const t0 = performance.now();
        host.addEventListener("attnlens:ready", () => requestAnimationFrame(() => resolve(performance.now() - t0)), {
          once: true,
        });
        window.attnlensWidgets.render(host, p, o);
      }),
    [payload, options],
  );
}

/** Changes the head <select> and waits for the update and the next frame, in ms. */
function switchHead(page, head) {
  return page.evaluate(
    (h) =>
      new Promise((resolve) => {
        const host = document.getElementById("host");
        const select = host.querySelector("select[name=head]");
        const t0 = performance.now();
        host.addEventListener("attnlens:update", () => requestAnimationFrame(() => resolve(performance.now() - t0)), {
          once: true,
        });
        select.value = String(h);
        select.dispatchEvent(new Event("change"));
      }),
    head,
  );
}

export default async function run() {
  if (!existsSync(BUNDLE)) throw new Error(`no ${BUNDLE}: run npm run build first`);
  const js = readFileSync(BUNDLE, "utf8").replace(/<\/script/gi, "<\\/script");
  const { encodePayload, sampleResult } = await kernelPayload();

  const bert = sampleResult({ layers: 12, heads: 12, tokens: 128 });
  const t0 = performance.now();
  const bertPayload = encodePayload(bert);
  const encodeMs = performance.now() - t0;
  const payloadBytes = JSON.stringify(bertPayload).length;
  const bertvizBytes = bertvizJsonBytes(
    bert,
    bert.tokens.source[0].map((t) => t.text),
  );
  const jsBytes = jsJsonBytes(bert);
  const long = encodePayload(sampleResult({ layers: 1, heads: 1, tokens: 1024 }), { metrics: false, rollout: false });

  const browser = await launchChromium();
  const grid = [];
  const heat = [];
  const switches = [];
  const errors = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const a = await freshPage(browser, js);
      grid.push(await firstRender(a.page, bertPayload, { theme: "light" }));
      if (i === 0) for (let k = 1; k <= SWITCHES; k++) switches.push(await switchHead(a.page, k % 12));
      errors.push(...a.errors);
      await a.page.close();
      const b = await freshPage(browser, js);
      heat.push(await firstRender(b.page, long, { theme: "light" }));
      errors.push(...b.errors);
      await b.page.close();
    }
  } finally {
    await browser.close();
  }
  if (errors.length > 0) throw new Error(`errors in the page: ${errors.join("; ")}`);

  const gridMs = median(grid);
  const heatMs = median(heat);
  const switchMs = median(switches);
  const MB = 1e6;
  return {
    title: "widgets: payload size and render times (headless Chromium, median)",
    rows: [
      {
        name: "first render, 12×12 heads at 128 tokens (grid + heatmap + metrics)",
        value: Math.round(gridMs),
        unit: "ms",
      },
      { name: "first render, 1,024 × 1,024 heatmap", value: Math.round(heatMs), unit: "ms" },
      { name: "switch head (select → frame)", value: Math.round(switchMs * 10) / 10, unit: "ms" },
      {
        name: "payload, BERT-base shape 12×12×128² (uint8, metrics, rollout, overviews)",
        value: payloadBytes,
        unit: "bytes",
      },
      { name: "bertviz-style JSON of the same weights (Python json.dumps, exact)", value: bertvizBytes, unit: "bytes" },
      { name: "JS JSON.stringify of the same weights (nested arrays)", value: jsBytes, unit: "bytes" },
      { name: "payload, 1,024-token single map", value: JSON.stringify(long).length, unit: "bytes" },
      { name: "encodePayload, BERT-base shape (with metrics and rollout)", value: Math.round(encodeMs), unit: "ms" },
    ],
    ratios: [
      { name: "grid first render / 1.5 s", value: gridMs / 1500, target: 1 },
      { name: "1,024-token heatmap first render / 1 s", value: heatMs / 1000, target: 1 },
      { name: "switch head / 150 ms", value: switchMs / 150, target: 1 },
      { name: "BERT-base payload / 4 MB", value: payloadBytes / (4 * MB), target: 1 },
      { name: "payload / bertviz JSON", value: payloadBytes / bertvizBytes, target: (4 * MB) / bertvizBytes },
    ],
  };
}
