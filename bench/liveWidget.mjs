/**
 * Live widget round trips on the attnlens kernel (issue 10), with jupyter_client acting as the
 * widget front end (test/jupyter/comm_kernel_client.py) on the tiny-agreement-bert demo model:
 * - click → kernel handler → state back: a selection `update` sent on the widget's comm until the
 *   kernel's `echo_update` arrives (what a head-grid click costs before the view can follow);
 * - text box → model run → new payload: a `custom` run message until the `update` carrying the new
 *   payload arrives (tokenize, run, extract, encode, send; the redraw itself is the widgets bench).
 * Medians of ROUNDS. Target: click round trip < 100 ms.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./common.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const VENV_PYTHON = `${ROOT}.venv/bin/python`;
const PYTHON = process.env.ATTNLENS_PYTHON ?? (existsSync(VENV_PYTHON) ? VENV_PYTHON : "python3");
const ROUNDS = 40;

export default async function run() {
  const dir = mkdtempSync(join(tmpdir(), "attnlens-bench-live-"));
  try {
    const { registerAttnlensKernel } = await import(`${ROOT}scripts/setup-jupyter.mjs`);
    registerAttnlensKernel(join(dir, "data"));
    const r = spawnSync(
      PYTHON,
      [`${ROOT}test/jupyter/comm_kernel_client.py`, "--cwd", ROOT, "--rounds", String(ROUNDS)],
      { encoding: "utf8", env: { ...process.env, JUPYTER_DATA_DIR: join(dir, "data") }, timeout: 600_000 },
    );
    const report = JSON.parse(r.stdout || "{}");
    if (!report.round_trip_ms)
      throw new Error(`comm_kernel_client.py failed: ${report.exception ?? r.stderr.slice(-2000)}`);
    const click = median(report.round_trip_ms);
    const text = median(report.text_round_trip_ms);
    return {
      title: "Live widget round trips (attnlens kernel, tiny-agreement-bert)",
      rows: [
        { name: `click → kernel → state back (median of ${report.round_trip_ms.length})`, value: click, unit: "ms" },
        {
          name: `text → model run → new payload (median of ${report.text_round_trip_ms.length})`,
          value: text,
          unit: "ms",
        },
      ],
      ratios: [{ name: "click round trip / 100 ms goal", value: click / 100, target: 1 }],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
