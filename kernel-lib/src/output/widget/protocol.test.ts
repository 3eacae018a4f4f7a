import { describe, expect, it } from "vitest";
import { CommManager, type CommTransport } from "../../kernel/comms";
import { checkSelection } from "./fields";
import { liveModels, MAX_FRONT_MESSAGE_BYTES, WidgetModel } from "./protocol";

type Sent = { type: string; content: Record<string, unknown>; buffers: readonly Uint8Array[]; metadata: unknown };

function setup(extra: Partial<ConstructorParameters<typeof WidgetModel>[1]> = {}) {
  const sent: Sent[] = [];
  const log: string[] = [];
  const transport: CommTransport = {
    publish: (type, content, buffers, metadata) => sent.push({ type, content, buffers, metadata }),
    log: (l) => log.push(l),
  };
  const manager = new CommManager(transport);
  const changes: Record<string, unknown>[] = [];
  const customs: unknown[] = [];
  const model = new WidgetModel(manager, {
    state: { _model_name: "M", payload: { a: 1 }, bytes: new Float32Array([1.5]), selection: null, error: null },
    writable: { selection: checkSelection },
    onChange: (c) => changes.push(c),
    onCustom: (c, b) => customs.push(c, b.length),
    ...extra,
  });
  const front = (data: unknown, buffers: Uint8Array[] = [], bytes = 100) =>
    manager.handle("comm_msg", { comm_id: model.id, data }, buffers, {}, bytes);
  const data = (i: number) => (sent[i].content as { data: Record<string, unknown> }).data;
  return { sent, log, model, front, changes, customs, data };
}

const SEL = { site: "encoder.self.1", layer: 1, head: 2, token: null, sample: 0 };

describe("WidgetModel (widget protocol 2.1, kernel side)", () => {
  it("opens on jupyter.widget with the state, binary values as buffers at their paths, protocol version in metadata", () => {
    const { sent, model } = setup();
    expect(sent).toHaveLength(1);
    expect(sent[0].type).toBe("comm_open");
    expect(sent[0].metadata).toEqual({ version: "2.1.0" });
    expect(sent[0].content).toEqual({
      comm_id: model.id,
      target_name: "jupyter.widget",
      data: {
        state: { _model_name: "M", payload: { a: 1 }, bytes: null, selection: null, error: null },
        buffer_paths: [["bytes"]],
      },
    });
    expect([...sent[0].buffers[0]]).toEqual([...new Uint8Array(new Float32Array([1.5]).buffer)]);
    expect(liveModels.get(model.id)).toBe(model);
  });

  it("applies an accepted update, echoes it (echo_update) and reports the change", () => {
    const { front, model, changes, data } = setup();
    front({ method: "update", state: { selection: SEL }, buffer_paths: [] });
    expect(model.get("selection")).toEqual(SEL);
    expect(data(1)).toEqual({ method: "echo_update", state: { selection: SEL }, buffer_paths: [] });
    expect(changes).toEqual([{ selection: SEL }]);
  });

  it("sends kernel-side changes as update, and the whole state on request_state", () => {
    const { front, model, data } = setup();
    model.set({ payload: { b: 2 } });
    expect(data(1)).toEqual({ method: "update", state: { payload: { b: 2 } }, buffer_paths: [] });
    front({ method: "request_state" });
    expect(data(2)).toMatchObject({ method: "update", buffer_paths: [["bytes"]] });
    expect((data(2).state as Record<string, unknown>).payload).toEqual({ b: 2 });
  });

  it("hands custom messages and their buffers to the owner", () => {
    const { front, customs } = setup();
    front({ method: "custom", content: { event: "run", text: "hi" } }, [new Uint8Array(3)]);
    expect(customs).toEqual([{ event: "run", text: "hi" }, 1]);
  });

  it("puts received buffers back into the state at their paths before checking it", () => {
    const seen: unknown[] = [];
    const { front } = setup({
      writable: {
        blob: (v) => {
          seen.push(v);
          return null;
        },
      },
    });
    front({ method: "update", state: { blob: { data: null } }, buffer_paths: [["blob", "data"]] }, [
      new Uint8Array([7]),
    ]);
    expect(seen).toEqual([{ data: new Uint8Array([7]) }]);
  });

  it.each([
    ["an unknown method", { method: "nuke" }, [], 10, 'refused unknown method "nuke"'],
    ["no method", [1, 2], [], 10, "refused a message without a method (expected update, request_state or custom)"],
    [
      "a state that is not an object",
      { method: "update", state: "x" },
      [],
      10,
      "refused an update whose state is not an object",
    ],
    [
      "a key the front end may not write",
      { method: "update", state: { payload: {} } },
      [],
      10,
      'refused an update: "payload" is not writable from the front end',
    ],
    [
      "a selection of the wrong types",
      { method: "update", state: { selection: { ...SEL, head: "all", extra: 1 } } },
      [],
      10,
      'refused an update: selection has a wrong head (an index, "mean" or "max"), no other keys (got extra)',
    ],
    [
      "more buffers than paths",
      { method: "update", state: { selection: SEL }, buffer_paths: [] },
      [new Uint8Array(1)],
      10,
      "refused an update with malformed buffers: buffer_paths lists 0 path(s) for 1 buffer(s)",
    ],
    [
      "a path that leads nowhere",
      { method: "update", state: {}, buffer_paths: [["a", "b"]] },
      [new Uint8Array(1)],
      10,
      'refused an update with malformed buffers: buffer_paths[0] (["a","b"]) does not lead into the state',
    ],
    [
      "an oversized message",
      { method: "update", state: {} },
      [],
      MAX_FRONT_MESSAGE_BYTES + 1,
      `refused a message of ${MAX_FRONT_MESSAGE_BYTES + 1} bytes (the limit is ${MAX_FRONT_MESSAGE_BYTES})`,
    ],
  ])("refuses %s with an error in the view and a log line, changing nothing", (_, msg, buffers, bytes, reason) => {
    const { front, model, log, data, sent, changes } = setup();
    const before = model.state;
    front(msg, buffers as Uint8Array[], bytes as number);
    expect(sent).toHaveLength(2);
    expect(data(1)).toEqual({ method: "update", state: { error: reason }, buffer_paths: [] });
    expect(log).toEqual([`attnlens widget ${model.id}: ${reason}`]);
    expect({ ...model.state, error: null }).toEqual(before);
    expect(changes).toEqual([]);
  });

  it("clears the error once a valid update arrives", () => {
    const { front, model } = setup();
    front({ method: "bad" });
    expect(model.get("error")).toBe('refused unknown method "bad"');
    front({ method: "update", state: { selection: SEL } });
    expect(model.get("error")).toBeNull();
  });

  it("forgets the model when either side closes it", () => {
    const a = setup();
    a.model.close();
    expect(a.sent.at(-1)?.type).toBe("comm_close");
    expect(liveModels.has(a.model.id)).toBe(false);
    const b = setup();
    b.front({ method: "request_state" });
    expect(liveModels.has(b.model.id)).toBe(true);
  });
});
