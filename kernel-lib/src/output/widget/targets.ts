/**
 * The comm targets a widget front end opens on its own when it connects to the kernel:
 * `jupyter.widget.version` (the kernel states the front-end protocol range it speaks) and
 * `jupyter.widget.control` (protocol 2.1: one `request_states` answered with every live model's
 * state, so a reloaded page redraws the widgets without a round trip per model).
 */
import type { CommManager } from "../../kernel/comms";
import { splitBuffers } from "./buffers";
import { liveModels } from "./protocol";

/** The @jupyter-widgets/base range this kernel speaks (the protocol's major version 2). */
const FRONT_END_RANGE = "~2.1.0";

export function registerWidgetTargets(manager: CommManager): void {
  manager.registerTarget("jupyter.widget.version", (comm) => {
    comm.onMessage = (msg) => {
      const validated = (msg.data as { validated?: unknown } | null)?.validated;
      if (validated === false) {
        manager.transport.log(`attnlens kernel: the widget front end does not speak ${FRONT_END_RANGE}`);
      }
    };
    comm.send({ version: FRONT_END_RANGE });
  });
  manager.registerTarget("jupyter.widget.control", (comm) => {
    comm.onMessage = (msg) => {
      const method = (msg.data as { method?: unknown } | null)?.method;
      if (method !== "request_states") {
        manager.transport.log(`attnlens kernel: jupyter.widget.control: unknown method ${JSON.stringify(method)}`);
        return;
      }
      const states: Record<string, unknown> = {};
      for (const [id, model] of liveModels) {
        const state = model.state;
        states[id] = {
          model_name: state._model_name,
          model_module: state._model_module,
          model_module_version: state._model_module_version,
          state,
        };
      }
      const split = splitBuffers(states);
      comm.send({ method: "update_states", states: split.state, buffer_paths: split.bufferPaths }, split.buffers);
    };
  });
}
