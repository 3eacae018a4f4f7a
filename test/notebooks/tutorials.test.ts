/**
 * The tutorial notebooks (notebooks/NN-*.ipynb) executed headlessly as a student opens them: one
 * tslab kernel each (nbclient, test/jupyter/run_notebook.py), working directory notebooks/, the
 * bundled demo models (08: the MiniLM export that refmodels builds into .cache/refmodels), no network
 * (HF_HUB_OFFLINE=1, an empty Hub cache). Checked: the committed
 * copies are clean and name the kernel scripts/setup-jupyter.mjs registers; no cell fails; every
 * view leaves the attnlens bundle (payload JSON + static picture + text/plain); what each notebook
 * claims to show is in its outputs; nbconvert's HTML of each (a host without the extension) shows
 * the static pictures.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ATTNLENS_MIME as MIME } from "../../widgets/src/mime";
import {
  ensureBuilt,
  PYTHON,
  ROOT,
  removeTempDirs,
  setupJupyterData,
  TSLAB_WATCH_RACE,
  tempDir,
} from "../jupyter/setup";

/**
 * A static SVG output in nbconvert's HTML: inline `<svg>` (nbconvert < 7.17) or, since 7.17, an
 * `<img>` holding the SVG as a data URL (it no longer inlines untrusted markup).
 */
const STATIC_SVG =
  /<div class="jp-RenderedSVG[^"]*jp-OutputArea-output[^"]*"[^>]*>\s*(?:<svg|<img [^>]*src="data:image\/svg\+xml)/g;

const NOTEBOOKS = path.join(ROOT, "notebooks");
const RUNNER = path.join(ROOT, "test", "jupyter", "run_notebook.py");
const NAMES = readdirSync(NOTEBOOKS)
  .filter((f) => /^\d\d-.+\.ipynb$/.test(f))
  .sort();

type Text = string | string[];
interface Output {
  output_type: string;
  name?: string;
  text?: Text;
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}
interface Cell {
  cell_type: string;
  source: Text;
  execution_count?: number | null;
  outputs?: Output[];
}
interface Notebook {
  cells: Cell[];
  metadata: { kernelspec?: { name: string; display_name: string; language: string } };
}
interface RunReport {
  ok: boolean;
  seconds: number;
  error: string | null;
  valid: true | string;
}

/** nbformat stores multi-line strings as lists of lines. */
const joined = (t: unknown): string => (Array.isArray(t) ? t.join("") : String(t ?? ""));
const readNotebook = (file: string): Notebook => JSON.parse(readFileSync(file, "utf8"));
const outputsOf = (nb: Notebook): Output[] => nb.cells.flatMap((c) => c.outputs ?? []);
const stdoutOf = (nb: Notebook): string =>
  outputsOf(nb)
    .filter((o) => o.output_type === "stream" && o.name === "stdout")
    .map((o) => joined(o.text))
    .join("");

function execute(src: string, dst: string, env: NodeJS.ProcessEnv): RunReport {
  const args = [RUNNER, src, dst, "--kernel", "tslab", "--timeout", "120", "--cwd", NOTEBOOKS];
  const once = (): RunReport => {
    const r = spawnSync(PYTHON, args, { encoding: "utf8", env, timeout: 170_000 });
    try {
      return JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as RunReport;
    } catch {
      return { ok: false, seconds: 0, error: `run_notebook.py failed: ${r.stderr?.slice(-2000)}`, valid: "not run" };
    }
  };
  const first = once();
  // A kernel-lib rebuild during the run fails one cell (see TSLAB_WATCH_RACE): run once more.
  return !first.ok && first.error?.includes(TSLAB_WATCH_RACE) ? once() : first;
}

/** What each notebook must visibly show, beyond running cleanly. */
const CLAIMS: Record<string, (stdout: string) => void> = {
  "01-attention-by-hand": (out) => {
    const diff = /max \|by hand − model\| = (\S+) \(agree\)/.exec(out);
    expect(diff, out).not.toBeNull();
    expect(Number(diff?.[1])).toBeLessThan(1e-5);
  },
  "02-heatmaps": (out) => {
    const aligned = [...out.matchAll(/^head (\d): (\d\.\d\d)$/gm)].map((m) => Number(m[2]));
    expect(aligned).toHaveLength(4);
    const mean = Number(/mean of heads: (\d\.\d\d)/.exec(out)?.[1]);
    expect(mean).toBeCloseTo(aligned.reduce((a, b) => a + b) / 4, 1);
    expect(Math.max(...aligned)).toBeGreaterThan(mean); // averaging dilutes the alignment heads
  },
  "03-patterns": (out) => {
    const expected: Record<string, string> = {
      self: "diagonal",
      previous: "previous",
      next: "next",
      window: "local",
      first: "vertical",
      uniform: "broad",
      segment: "block",
    };
    const rows = [...out.matchAll(/designed (\w+)\s+→ (\w+)/g)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(rows)).toEqual(expected);
    expect(out).toMatch(/decoder\.self\.0 .*H3 previous/);
    expect(out).toMatch(/decoder\.self\.1 · H0 induction/);
    expect(out).toMatch(/: sparse \S+ \(sparse score \S+\) · alignment \(source token being produced\)/);
  },
  "04-distance-entropy": (out) => {
    const byHand = /by hand: (H = \S+, D = \S+)/.exec(out)?.[1];
    expect(byHand).toBeDefined();
    expect(out).toContain(`library: ${byHand}`);
    expect(out).toMatch(/layer 3 head 3, row "it": normalized entropy 0\.0\d/);
  },
  "05-across-layers": (out) => {
    for (const i of [2, 3, 4, 5]) {
      const cells = Array.from({ length: 6 }, (_, j) =>
        j === i ? "0.25" : j === i - 1 ? "0.50" : j === i - 2 ? "0.25" : "0.00",
      );
      expect(out).toContain(`token ${i}:  ${cells.join(" ")}`);
    }
    expect(out).toMatch(/needs 4 layers × 16² tokens = 1024 edges, above the limit of 500/);
  },
  "06-probes": (out) => {
    // each claim by its text, with the outcome the tutorial expects: the last fails on purpose
    const outcomes = Object.fromEntries([...out.matchAll(/^(✓ holds|✗ FAILS): (.+)$/gm)].map((m) => [m[2], m[1]]));
    expect(outcomes).toEqual({
      "sentence 0: layer 3 head 3 sends 'it' to 'animal' rather than 'street'": "✓ holds",
      "sentence 1 (too wide): layer 1 head 3 sends at least half of 'it' to 'street'": "✓ holds",
      "sentence 2: layer 3 head 2 sends the verb 'is' to its subject 'dog', not the attractor 'cars'": "✓ holds",
      "sentence 1: layer 3 head 3 sends at least half of 'it' to 'street'": "✗ FAILS",
    });
    expect(out).toMatch(/"the" occurs 2 times/);
    // the ready pronoun suite: the documented class heads hold in all 10 sentences of their group
    expect(out).toMatch(/pronoun → animate antecedent, 10 sentences:[\s\S]*?encoder\.self\.3 h3 +10\/10/);
    expect(out).toMatch(/pronoun → inanimate antecedent, 10 sentences:[\s\S]*?encoder\.self\.1 h3 +10\/10/);
    // the sign-flip test across the 10 sentences, Holm over 16 heads: the animate-class head passes, the inanimate one does not
    const significant = /pronoun → animate antecedent: (\d+) of 16 heads significant after Holm: (.*)$/m.exec(out);
    expect(significant?.[2].split(", ")).toContain("encoder.self.3 h3");
    expect(significant?.[2].split(", ")).not.toContain("encoder.self.1 h3");
  },
  "07-your-own-model": (out) => {
    expect(out).toMatch(/offline mode: .* is not in the cache/);
    expect(out).toContain("→ falling back to the bundled demo model tiny-agreement-bert");
    expect(out).toMatch(/attnlens-my-model\.html: \d+ KiB, 1 section/);
  },
  "08-real-model": (out) => {
    // the per-layer table of all-MiniLM-L6-v2 (the export refmodels builds; minilmHeads.test.ts holds the same findings)
    const layers = [...out.matchAll(/^layer (\d) {2}\[CLS\] (\S+) {2}\[SEP\] (\S+) .* H̃ (\S+) {2}(.+)$/gm)];
    expect(layers.map((m) => Number(m[1]))).toEqual([0, 1, 2, 3, 4, 5]);
    const [cls, sep, entropy] = [2, 3, 4].map((k) => layers.map((m) => Number(m[k])));
    for (const i of [1, 2, 3, 4]) {
      expect(cls[i], `layer ${i} [CLS]`).toBeGreaterThan(0.35);
      expect(entropy[0] - entropy[i], `layer ${i} entropy`).toBeGreaterThan(0.1);
    }
    for (const s of sep) expect(s).toBeLessThan(0.15);
    expect(layers[0][5]).toMatch(/^broad \d+ ·/); // the first layer's commonest label
    expect(out).toMatch(/previous-token head: layer 0 head \d+, (1\.00|0\.9\d) of each row on i − 1, label previous/);
    expect(out).toMatch(/next-token head: layer 1 head \d+, 0\.\d\d of each row on i \+ 1, label next/);
    expect(out).toMatch(/\[CLS\] sink: layer 2 head \d+, 0\.[5-9]\d of each row on \[CLS\], label vertical/);
  },
};

/**
 * What each view shows, in order, from its bundle's metadata (the widget tab, and the site, head and
 * sample it opens on): "tab site head H sample B", or the tab alone for a view of every head, or
 * "overview". Heads the notebooks compute (02's eosHead and align.head) are those of the bundled
 * demo models, which the notebooks print.
 */
const VIEWS: Record<string, string[]> = {
  "01-attention-by-hand": ["heatmap encoder.self.0 head 0 sample 0"],
  "02-heatmaps": [
    "overview",
    "heatmap encoder.self.0 head 0 sample 0", // the head with most mass on </s>
    "heatmap decoder.cross.1 head 0 sample 0", // the alignment head
    "heatmap decoder.cross.0 head 0 sample 0", // the same head one layer down
    "heatmap decoder.cross.1 head 0 sample 0", // every head of the site, opened on head 0
    "heatmap decoder.cross.1 head 0 sample 1",
    "heatmap decoder.cross.1 head mean sample 1",
  ],
  "03-patterns": [
    "heatmap",
    "heatmap",
    "heatmap decoder.self.0 head 3 sample 0",
    "heatmap decoder.self.1 head 0 sample 0",
  ],
  "04-distance-entropy": ["heatmap"],
  "05-across-layers": ["rollout", "rollout"],
  "06-probes": ["lines encoder.self.3 head 3 sample 0", "heatmap encoder.self.3 head 3 sample 1"],
  "07-your-own-model": ["heatmap encoder.self.3 head 2 sample 0", "overview"],
  // MiniLM's heads, as the notebook prints them: the previous-token head and the [CLS] sink of layer 2
  "08-real-model": ["heatmap", "heatmap encoder.self.0 head 2 sample 0", "heatmap encoder.self.2 head 9 sample 0"],
};

interface ViewMetadata {
  view?: string;
  selection?: { type: string; layer: number; head: number | "mean"; sample: number };
}
interface PayloadSites {
  samples: number;
  sites: { id: string; heads: number }[];
}

/** A view's tab and selection, as VIEWS writes them; fails when the selection is not in the payload. */
function describeView(view: Output): string {
  const meta = (view.metadata?.[MIME] ?? {}) as ViewMetadata;
  const sel = meta.selection;
  if (!sel) return meta.view ?? "overview";
  const site = `${sel.type}.${sel.layer}`;
  const payload = view.data?.[MIME] as PayloadSites;
  const shown = payload.sites.find((s) => s.id === site);
  expect(shown, `${site} is in the payload`).toBeDefined();
  if (sel.head !== "mean") expect(sel.head).toBeLessThan(shown?.heads ?? 0);
  expect(sel.sample).toBeLessThan(payload.samples);
  return `${meta.view} ${site} head ${sel.head} sample ${sel.sample}`;
}

describe("tutorial notebooks", () => {
  let dataDir: string;
  let htmlDir: string;
  const runs = new Map<string, { report: RunReport; executed: Notebook; html: string }>();

  beforeAll(async () => {
    ensureBuilt("kernel-lib", "widgets");
    ({ dataDir } = await setupJupyterData({ extension: false }));
    const work = tempDir("tutorials");
    htmlDir = path.join(work, "html");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      JUPYTER_DATA_DIR: dataDir,
      HF_HUB_OFFLINE: "1",
      HF_HUB_CACHE: path.join(work, "hub-cache"), // empty: the Hub id cannot come from a user's cache
      TMPDIR: work, // the report notebook 07 writes
    };
    delete env.ATTNLENS_MODELS_DIR; // the bundled models, where a student finds them
    const executed = NAMES.map((name) => {
      const dst = path.join(work, name);
      return { name, dst, report: execute(path.join(NOTEBOOKS, name), dst, env) };
    }).filter((e) => existsSync(e.dst));
    // One nbconvert process for all of them (a Python start-up each would cost ~1 s).
    execFileSync(PYTHON, ["-m", "nbconvert", "--to", "html", "--output-dir", htmlDir, ...executed.map((e) => e.dst)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    for (const { name, dst, report } of executed) {
      const html = readFileSync(path.join(htmlDir, name.replace(/\.ipynb$/, ".html")), "utf8");
      runs.set(name, { report, executed: readNotebook(dst), html });
    }
  }, 600_000);

  afterAll(removeTempDirs);

  it("finds the eight tutorials, each listed in notebooks/README.md", () => {
    expect(NAMES).toHaveLength(8);
    expect(NAMES.map((n) => n.replace(/\.ipynb$/, ""))).toEqual(Object.keys(VIEWS));
    const readme = readFileSync(path.join(NOTEBOOKS, "README.md"), "utf8");
    for (const name of NAMES) expect(readme).toContain(name);
  });

  describe.each(NAMES)("%s", (name) => {
    const run = () => {
      const r = runs.get(name);
      if (!r) throw new Error(`${name} did not run`);
      return r;
    };

    it("is stored clean (no outputs) and names the kernel setup-jupyter registers", () => {
      const nb = readNotebook(path.join(NOTEBOOKS, name));
      for (const cell of nb.cells.filter((c) => c.cell_type === "code")) {
        expect(cell.outputs).toEqual([]);
        expect(cell.execution_count).toBeNull();
      }
      const spec = nb.metadata.kernelspec;
      const registered = path.join(dataDir, "kernels", spec?.name ?? "?", "kernel.json");
      expect(existsSync(registered)).toBe(true);
      const kernel = JSON.parse(readFileSync(registered, "utf8"));
      expect(spec).toEqual({ name: "tslab", display_name: kernel.display_name, language: kernel.language });
    });

    it("runs every cell without error and stays valid nbformat", () => {
      const { report, executed } = run();
      expect(report.error).toBeNull();
      expect(report.ok).toBe(true);
      expect(report.valid).toBe(true);
      expect(outputsOf(executed).filter((o) => o.output_type === "error")).toEqual([]);
    });

    it("leaves the interactive bundle, a static picture and text/plain for every view", () => {
      const views = outputsOf(run().executed).filter((o) => o.data?.[MIME] !== undefined);
      expect(views.length).toBeGreaterThan(0);
      for (const view of views) {
        const data = view.data ?? {};
        expect(view.output_type).toBe("display_data");
        expect((data[MIME] as { v?: number }).v).toBe(1);
        expect(joined(data["text/plain"])).toMatch(/^attnlens \w+/);
        const svg = joined(data["image/svg+xml"]);
        expect(svg.startsWith("<svg") || typeof data["image/png"] === "string").toBe(true);
      }
    });

    it("shows the site and head each view is about", () => {
      const views = outputsOf(run().executed).filter((o) => o.data?.[MIME] !== undefined);
      expect(views.map(describeView)).toEqual(VIEWS[name.replace(/\.ipynb$/, "")]);
    });

    it("shows what its text says it shows", () => {
      CLAIMS[name.replace(/\.ipynb$/, "")](stdoutOf(run().executed));
    });

    it("exports to HTML with the static pictures", () => {
      const { executed, html } = run();
      const pictures = outputsOf(executed).filter((o) => o.data?.[MIME] !== undefined);
      const svgs = pictures.filter((o) => o.data?.["image/svg+xml"] !== undefined).length;
      const pngs = pictures.length - svgs;
      const inHtml = (re: RegExp) => (html.match(re) ?? []).length;
      expect(inHtml(STATIC_SVG)).toBe(svgs);
      expect(inHtml(/<img [^>]*src="data:image\/png;base64,/g)).toBeGreaterThanOrEqual(pngs);
    });
  });

  it("06 draws the probe suite's heatmap inline, starring the heads its text calls significant", () => {
    const r = runs.get("06-probes.ipynb");
    if (!r) throw new Error("06-probes.ipynb did not run");
    const suite = outputsOf(r.executed).find((o) => joined(o.data?.["text/html"]).includes("attnlens-suite-view"));
    const html = joined(suite?.data?.["text/html"]);
    // the picture is in the HTML itself (notebooks and nbconvert prefer text/html), drawn without a script
    expect(html).toMatch(/<figure class="attnlens-suite-view"[^>]*><svg/);
    expect(html).not.toMatch(/<script/i);
    expect(joined(suite?.data?.["image/svg+xml"]).startsWith("<svg")).toBe(true);
    expect(r.html).toContain("attnlens-suite-view");
    // every head the notebook prints as significant (animate group) carries a star in the picture
    const line = /pronoun → animate antecedent: (\d+) of 16 heads significant/.exec(stdoutOf(r.executed));
    const stars = (html.match(/>\*<\/text>/g) ?? []).length;
    expect(Number(line?.[1])).toBeGreaterThan(0);
    expect(stars).toBeGreaterThanOrEqual(Number(line?.[1]));
  });
});
