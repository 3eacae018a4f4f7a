/**
 * The "TypeScript (attnlens)" kernel, started by jupyter_client from the kernel spec
 * scripts/setup-jupyter.mjs registers, driven by comm_kernel_client.py acting as a widget front end:
 * `attnlens.widget` opens a jupyter.widget comm before its display_data (which carries the widget
 * view and the static fallbacks); a selection update is echoed and seen by the next cell; a text
 * sent from the text box is run through the demo model and comes back as a new payload whose
 * tokens are the new sentence's (compared with the model's own tokenizer reference); hostile
 * messages are answered with an error in the view and leave the kernel and its variables intact.
 * On plain tslab (no comms) the same call shows the static bundle with a note, and `update`
 * replaces that output through its display id.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ATTNLENS_MIME } from "../../widgets/src/mime";
import { ensureBuilt, PYTHON, ROOT, removeTempDirs, setupJupyterData, tempDir } from "./setup";

interface Report {
  version: { version: string } | null;
  setup: { status: string; text: string };
  widget: {
    status: string;
    stderr: string;
    order: string[];
    opens: { target: string; comm_id: string; version: string; model_name: string; payload_sites: string[] }[];
    display_mimes: string[][];
    view_model_ids: string[];
  };
  comm_info: { msg_type: string; content: { status: string; comms: Record<string, { target_name: string }> } };
  echo: { method: string; state: { selection: unknown } } | null;
  idle_after_update: boolean;
  selection_seen: string;
  request_state_keys: string[] | null;
  run_text: { messages_read: number; first_tokens: Tokens | null; new_tokens: Tokens | null };
  hostile: Record<string, string | null>;
  unknown_target_closed: boolean;
  alive: { status: string; text: string };
  exception?: string;
}
type Tokens = { source: { text: string[][] } };

const MODEL_DIR = path.join(ROOT, "kernel-lib", "models", "tiny-agreement-bert");
let report: Report;
let plain: {
  status: string[];
  text: string;
  shown: [string, string[], string][];
  updated: [string, string, string[]][];
};

function drive(dataDir: string, args: string[]) {
  const r = spawnSync(PYTHON, [path.join(__dirname, "comm_kernel_client.py"), "--cwd", ROOT, ...args], {
    encoding: "utf8",
    env: { ...process.env, JUPYTER_DATA_DIR: dataDir },
    timeout: 280_000,
  });
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`comm_kernel_client.py ${args.join(" ")} failed (${r.status}): ${r.stderr.slice(-3000)}`);
  }
}

beforeAll(async () => {
  ensureBuilt("widgets", "kernel-lib");
  const dataDir = path.join(tempDir("comm"), "data");
  const setup = (await import(path.join(ROOT, "scripts", "setup-jupyter.mjs"))) as {
    registerAttnlensKernel(dir: string): string;
  };
  setup.registerAttnlensKernel(dataDir);
  report = drive(dataDir, []);
  const tslab = await setupJupyterData({ extension: false });
  plain = drive(tslab.dataDir, ["--plain", "--kernel", "tslab"]);
}, 500_000);

afterAll(() => removeTempDirs());

describe("attnlens kernel: comms and live widgets", () => {
  it("ran every step", () => {
    expect(report.exception).toBeUndefined();
    expect(report.setup.status).toBe("ok");
  });

  it("answers the front end's version comm with the protocol range it speaks", () => {
    expect(report.version).toEqual({ version: "~2.1.0" });
  });

  it("opens a jupyter.widget comm before the output that shows it, with the fallbacks beside the view", () => {
    const w = report.widget;
    expect(w.status).toBe("ok");
    expect(w.stderr).toBe("");
    expect(w.order).toEqual(["comm_open", "display_data"]);
    expect(w.opens).toHaveLength(1);
    expect(w.opens[0]).toMatchObject({ target: "jupyter.widget", version: "2.1.0", model_name: "AttentionModel" });
    expect(w.opens[0].payload_sites).toEqual(["encoder.self.0", "encoder.self.1", "encoder.self.2", "encoder.self.3"]);
    expect(w.display_mimes[0]).toEqual(
      [ATTNLENS_MIME, "application/vnd.jupyter.widget-view+json", "image/svg+xml", "text/plain"].sort(),
    );
    expect(w.view_model_ids).toEqual([w.opens[0].comm_id]);
  });

  it("lists the widget's comm in comm_info_reply", () => {
    expect(report.comm_info.msg_type).toBe("comm_info_reply");
    expect(report.comm_info.content.comms).toEqual({
      [report.widget.opens[0].comm_id]: { target_name: "jupyter.widget" },
    });
  });

  it("echoes a front-end selection and the next cell sees it as view.selection", () => {
    const sent = { site: "encoder.self.2", layer: 2, head: 1, token: 5, sample: 0 };
    expect(report.echo).toEqual({ method: "echo_update", state: { selection: sent }, buffer_paths: [] });
    expect(JSON.parse(report.selection_seen)).toEqual(sent);
    // ipywidgets holds the next update until the kernel reports idle for this one.
    expect(report.idle_after_update).toBe(true);
    expect(report.request_state_keys).toEqual(
      expect.arrayContaining(["payload", "options", "selection", "error", "_model_name", "_view_name"]),
    );
  });

  it("runs text from the text box through the model and pushes the new sentence's maps", () => {
    // The tokenizer's own tokens for both sentences, from the demo model's reference file.
    const samples = JSON.parse(readFileSync(path.join(MODEL_DIR, "reference.json"), "utf8")).tokenizer_samples as {
      text: string;
      tokens: string[];
    }[];
    const tokensOf = (text: string) => samples.find((s) => s.text === text)?.tokens;
    const before = tokensOf("The animal didn't cross the street because it was too tired.");
    const after = tokensOf("The dog wouldn't cross the street since it was too slow.");
    expect(before && after).toBeTruthy();
    expect(report.run_text.first_tokens?.source.text[0]).toEqual(before);
    expect(report.run_text.new_tokens?.source.text[0]).toEqual(after);
    expect(report.run_text.messages_read).toBeLessThanOrEqual(10);
  });

  it("answers each hostile message with an error in the view's state", () => {
    const h = report.hostile;
    expect(h.unknown_method).toBe('refused unknown method "explode"');
    expect(h.no_method).toMatch(/^refused a message without a method/);
    expect(h.wrong_types).toBe(
      'refused an update: selection has a wrong site (a site id), layer (an index), head (an index, "mean" or "max")',
    );
    expect(h.not_writable).toBe('refused an update: "payload" is not writable from the front end');
    expect(h.oversized).toMatch(/^refused a message of \d+ bytes \(the limit is 262144\)$/);
    expect(h.malformed_buffers).toBe(
      "refused an update with malformed buffers: buffer_paths lists 2 path(s) for 1 buffer(s)",
    );
    expect(h.bad_custom).toBe("the text to run must be a string");
    expect(h.proto_path).toBe("refused an update with malformed buffers: buffer_paths[0] names __proto__");
    expect(report.unknown_target_closed).toBe(true);
  });

  it("stays alive with the user's variables intact", () => {
    expect(report.alive).toEqual({ status: "ok", text: "42\n" });
  });
});

describe("attnlens.widget on plain tslab (no comms)", () => {
  const samples = () =>
    JSON.parse(readFileSync(path.join(MODEL_DIR, "reference.json"), "utf8")).tokenizer_samples as {
      text: string;
      tokens: string[];
    }[];

  it("shows the static bundle (no widget view) with a note that names the live kernel", () => {
    expect(plain.status).toEqual(["ok", "ok"]);
    expect(plain.text).toContain("attnlens: this kernel has no comms, so the view is a snapshot");
    expect(plain.text).toContain('"TypeScript (attnlens)"');
    expect(plain.text.trim().endsWith("false")).toBe(true); // view.live
    expect(plain.shown).toHaveLength(1);
    expect(plain.shown[0][0]).toBe("display_data");
    expect(plain.shown[0][1]).toEqual([ATTNLENS_MIME, "image/svg+xml", "text/plain"]);
  });

  it("update() replaces that output by its display id with the new result", () => {
    const after = samples().find((s) => s.text === "The dog wouldn't cross the street since it was too slow.")?.tokens;
    expect(plain.updated).toEqual([["update_display_data", plain.shown[0][2], after]]);
  });
});
