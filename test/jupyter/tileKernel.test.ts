/**
 * Zooming a live widget of a long input through the real attnlens kernel: the front end's
 * `{event: "tile", …}` custom messages (sent by tile_kernel_client.py over jupyter_client) are
 * answered on the widget's comm with the exact weights of the window as a float32 buffer, compared
 * here byte for byte with the same seeded map built in Node; requests outside the map, too large,
 * for an unknown site or without an id are answered with an error and the kernel stays alive.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, PYTHON, ROOT, removeTempDirs, tempDir } from "./setup";

interface Answer {
  content: Record<string, unknown>;
  buffers: string[];
}
interface Report {
  widget: { status: string; text: string; opens: number };
  payload: { maps_bin: number[]; maps_dims: number[]; tiles: boolean };
  answers: Record<string, Answer | null>;
  alive: { status: string; text: string };
  exception?: string;
}

const load = createRequire(__filename);
let report: Report;

beforeAll(async () => {
  ensureBuilt("widgets", "kernel-lib");
  const dataDir = path.join(tempDir("tiles-kernel"), "data");
  const setup = (await import(path.join(ROOT, "scripts", "setup-jupyter.mjs"))) as {
    registerAttnlensKernel(dir: string): string;
  };
  setup.registerAttnlensKernel(dataDir);
  const r = spawnSync(PYTHON, [path.join(__dirname, "tile_kernel_client.py"), "--cwd", ROOT], {
    encoding: "utf8",
    env: { ...process.env, JUPYTER_DATA_DIR: dataDir },
    timeout: 280_000,
  });
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`tile_kernel_client.py failed (${r.status}): ${r.stderr.slice(-3000)}`);
  }
}, 300_000);

afterAll(() => removeTempDirs());

describe("attnlens kernel: tiles of a long input on demand", () => {
  it("shows the long input as a pooled overview without a precomputed pyramid", () => {
    expect(report.exception).toBeUndefined();
    expect(report.widget.status).toBe("ok");
    expect(report.widget.opens).toBe(1);
    expect(report.payload).toEqual({ maps_bin: [8, 8], maps_dims: [1, 2, 256, 256], tiles: false });
  });

  it("answers a zoom request with the window's exact weights as a float32 buffer", () => {
    const { randomAttention } = load("attnlens/testing") as typeof import("attnlens/testing");
    const T = 2048;
    const map = randomAttention({ dims: [1, 2, T, T], seed: 11 });
    const a = report.answers.exact!;
    expect(a.content).toEqual({
      event: "tile",
      id: "t1",
      site: "encoder.self.0",
      batch: 0,
      head: 1,
      rows: [1000, 1064],
      cols: [1500, 1580],
    });
    expect(a.buffers).toHaveLength(1);
    const bytes = Buffer.from(a.buffers[0], "base64");
    const got = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    expect(got.length).toBe(64 * 80);
    const want = new Float32Array(64 * 80);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 80; x++) want[y * 80 + x] = map[(T + 1000 + y) * T + 1500 + x];
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it("answers a window too large to send exactly pooled into bin × bin cells, as the naive pooling", () => {
    const { randomAttention } = load("attnlens/testing") as typeof import("attnlens/testing");
    const T = 2048;
    const map = randomAttention({ dims: [1, 2, T, T], seed: 11 });
    const a = report.answers.pooled!;
    expect(a.content).toMatchObject({ id: "t5", rows: [0, 2048], cols: [100, 2048], bin: 8 });
    const bytes = Buffer.from(a.buffers[0], "base64");
    const got = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const C = Math.ceil(1948 / 8);
    expect(got.length).toBe(256 * C);
    // Cell (I, J): mean over rows 8I…8I+7 of the weight summed over columns 100+8J … (head 0).
    for (const [I, J] of [
      [0, 0],
      [17, 200],
      [255, C - 1],
    ]) {
      let sum = 0;
      for (let t = 8 * I; t < 8 * I + 8; t++)
        for (let s = 100 + 8 * J; s < Math.min(T, 100 + 8 * J + 8); s++) sum += map[t * T + s];
      expect(got[I * C + J]).toBeCloseTo(sum / 8, 6);
    }
  });

  it("refuses bad requests with an error answer, and the kernel stays alive", () => {
    const error = (name: string) => report.answers[name]?.content.error;
    expect(error("out_of_bounds")).toBe(
      "refused a tile request: rows must be [start, end) with 0 ≤ start < end ≤ 2048",
    );
    expect(error("too_large")).toBe("refused a tile request: a tile of 4194304 cells is above the limit of 1048576");
    expect(error("no_site")).toBe('refused a tile request: no site "decoder.self.9"; sites are encoder.self.0');
    expect(report.answers.no_id?.content).toEqual({
      event: "tile",
      id: null,
      error: "a tile request needs an id (a string or an integer)",
    });
    for (const name of ["out_of_bounds", "too_large", "no_site", "no_id"])
      expect(report.answers[name]?.buffers).toEqual([]);
    expect(report.alive).toEqual({ status: "ok", text: "true true\n" });
  });
});
