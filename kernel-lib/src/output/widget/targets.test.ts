import { describe, expect, it } from "vitest";
import { CommManager, type CommTransport } from "../../kernel/comms";
import { checkSelection } from "./fields";
import { WidgetModel } from "./protocol";
import { registerWidgetTargets } from "./targets";

function setup() {
  const sent: { type: string; content: Record<string, unknown>; buffers: readonly Uint8Array[] }[] = [];
  const log: string[] = [];
  const transport: CommTransport = {
    publish: (type, content, buffers) => sent.push({ type, content, buffers }),
    log: (l) => log.push(l),
  };
  const manager = new CommManager(transport);
  registerWidgetTargets(manager);
  return { manager, sent, log };
}

describe("widget comm targets a front end opens", () => {
  it("jupyter.widget.version: states the front-end range at once, logs a refusal", () => {
    const { manager, sent, log } = setup();
    manager.handle("comm_open", { comm_id: "v", target_name: "jupyter.widget.version", data: {} });
    expect(sent).toEqual([{ type: "comm_msg", content: { comm_id: "v", data: { version: "~2.1.0" } }, buffers: [] }]);
    manager.handle("comm_msg", { comm_id: "v", data: { validated: false } });
    expect(log).toEqual(["attnlens kernel: the widget front end does not speak ~2.1.0"]);
  });

  it("jupyter.widget.control: request_states returns every live model's state, buffers at paths under states", () => {
    const { manager, sent } = setup();
    const model = new WidgetModel(manager, {
      state: { _model_name: "M", _model_module: "m", _model_module_version: "1", blob: new Uint8Array([9, 8]) },
      writable: { selection: checkSelection },
    });
    manager.handle("comm_open", { comm_id: "ctl", target_name: "jupyter.widget.control", data: {} });
    manager.handle("comm_msg", { comm_id: "ctl", data: { method: "request_states" } });
    const reply = sent.at(-1);
    expect(reply?.content.comm_id).toBe("ctl");
    const data = reply?.content.data as { method: string; states: Record<string, unknown>; buffer_paths: unknown };
    expect(data.method).toBe("update_states");
    expect(data.states[model.id]).toEqual({
      model_name: "M",
      model_module: "m",
      model_module_version: "1",
      state: { _model_name: "M", _model_module: "m", _model_module_version: "1", blob: null },
    });
    expect(data.buffer_paths).toEqual([[model.id, "state", "blob"]]);
    expect(reply?.buffers.map((b) => [...b])).toEqual([[9, 8]]);
    model.close();
  });
});
