/** The rollout / attention-flow view: a heatmap of the probe chosen, with its own selectors. */
import { probeMatrix } from "../data/matrix";
import type { AttentionPayload, PayloadProbe } from "../payload/types";
import type { ThemeName } from "../spec/theme";
import { el, selectBox } from "./dom";
import { createHeatmapPanel } from "./heatmapPanel";
import type { Tooltip } from "./tooltip";

export interface ProbePanel {
  root: HTMLElement;
  show(sample: number): Promise<void>;
  /** A new payload: its probes, keeping the method chosen when it has it. */
  setPayload(payload: AttentionPayload): void;
  dispose(): void;
}

export function createProbePanel(payload: AttentionPayload, theme: ThemeName, tooltip: Tooltip): ProbePanel {
  const root = el("div", "attnlens-panel attnlens-probe");
  const bar = el("div", "attnlens-toolbar");
  const heat = createHeatmapPanel(theme, tooltip);
  const none = el(
    "div",
    "attnlens-message",
    "This payload has no rollout or flow (encodePayload rollout / flow options).",
  );
  none.hidden = true;
  root.append(bar, none, heat.root);
  const probesOf = (p: AttentionPayload) => Object.values(p.probes ?? {}).filter((x): x is PayloadProbe => !!x);
  let probes = probesOf(payload);
  let method = probes[0]?.method ?? "rollout";
  let part: "self" | "cross" = "self";
  let sample = 0;
  const methodBox = selectBox("method", "probe", (v) => {
    method = v as PayloadProbe["method"];
    void render();
  });
  const partBox = selectBox("to", "part", (v) => {
    part = v as "self" | "cross";
    void render();
  });
  bar.append(methodBox.root, partBox.root);

  async function render(): Promise<void> {
    const probe = probes.find((p) => p.method === method);
    methodBox.set(
      probes.map((p) => ({ value: p.method, text: p.method === "rollout" ? "attention rollout" : "attention flow" })),
      method,
    );
    partBox.set(
      [
        { value: "self", text: `${probe?.stack ?? ""} tokens` },
        ...(probe?.cross ? [{ value: "cross", text: "encoder tokens" }] : []),
      ],
      probe?.cross ? part : "self",
    );
    // Hidden, not removed: a later payload (update) may bring probes.
    none.hidden = !!probe;
    heat.root.hidden = !probe;
    if (!probe) return;
    await heat.show(probeMatrix(probe, payload, sample, probe.cross ? part : "self"));
  }

  return {
    root,
    show(s) {
      sample = s;
      return render();
    },
    setPayload(p) {
      payload = p;
      probes = probesOf(p);
      if (!probes.some((x) => x.method === method)) method = probes[0]?.method ?? "rollout";
    },
    dispose: () => heat.dispose(),
  };
}
