import { describe, expect, it } from "vitest";
import { CommManager, type CommTransport, currentCommManager, installCommManager } from "./comms";

type Sent = { type: string; content: Record<string, unknown>; buffers: readonly Uint8Array[] };

function fake(): { transport: CommTransport; sent: Sent[]; log: string[] } {
  const sent: Sent[] = [];
  const log: string[] = [];
  return {
    sent,
    log,
    transport: { publish: (type, content, buffers) => sent.push({ type, content, buffers }), log: (l) => log.push(l) },
  };
}

describe("CommManager", () => {
  it("opens kernel comms, routes front-end messages to them and lists them by target", () => {
    const { transport, sent } = fake();
    const m = new CommManager(transport);
    const comm = m.open("jupyter.widget", { state: {} }, [], {}, "c1");
    m.open("other", {}, [], {}, "c2");
    const got: unknown[] = [];
    comm.onMessage = (msg) => got.push(msg.data, msg.buffers.length);
    m.handle("comm_msg", { comm_id: "c1", data: { method: "x" } }, [new Uint8Array([1])]);
    expect(got).toEqual([{ method: "x" }, 1]);
    expect(sent[0]).toEqual({
      type: "comm_open",
      content: { comm_id: "c1", target_name: "jupyter.widget", data: { state: {} } },
      buffers: [],
    });
    expect(m.handle("comm_info_request", { target_name: "jupyter.widget" })).toEqual({
      status: "ok",
      comms: { c1: { target_name: "jupyter.widget" } },
    });
    expect(Object.keys(m.handle("comm_info_request", {})?.comms as object)).toEqual(["c1", "c2"]);
  });

  it("answers an open for an unknown target with comm_close and a log line", () => {
    const { transport, sent, log } = fake();
    const m = new CommManager(transport);
    m.handle("comm_open", { comm_id: "z", target_name: "nope", data: {} });
    expect(sent).toEqual([{ type: "comm_close", content: { comm_id: "z", data: {} }, buffers: [] }]);
    expect(log).toEqual(['attnlens kernel: comm_open for unknown target "nope"; closed']);
  });

  it("keeps a throwing handler's error in the log, and closes a comm whose open handler threw", () => {
    const { transport, sent, log } = fake();
    const m = new CommManager(transport);
    m.registerTarget("t", () => {
      throw new Error("boom");
    });
    expect(() => m.handle("comm_open", { comm_id: "a", target_name: "t" })).not.toThrow();
    expect(log).toEqual(["attnlens kernel: comm_open on t failed: boom"]);
    expect(sent.map((s) => s.type)).toEqual(["comm_close"]);
    expect(m.handle("comm_info_request", {})).toEqual({ status: "ok", comms: {} });
  });

  it("ignores malformed content and unknown comms with a log line", () => {
    const { transport, log } = fake();
    const m = new CommManager(transport);
    m.handle("comm_msg", null);
    m.handle("comm_msg", { comm_id: 7 });
    m.handle("comm_msg", { comm_id: "gone", data: {} });
    expect(log).toEqual([
      "attnlens kernel: comm_msg without a comm_id string; ignored",
      "attnlens kernel: comm_msg without a comm_id string; ignored",
      "attnlens kernel: comm_msg for unknown comm gone; ignored",
    ]);
  });

  it("a front-end close forgets the comm without sending anything back", () => {
    const { transport, sent } = fake();
    const m = new CommManager(transport);
    const comm = m.open("t", {}, [], {}, "c");
    let closed = false;
    comm.onClose = () => {
      closed = true;
    };
    m.handle("comm_close", { comm_id: "c", data: {} });
    expect(closed).toBe(true);
    expect(comm.isOpen).toBe(false);
    comm.send({ late: true });
    expect(sent.map((s) => s.type)).toEqual(["comm_open"]);
  });

  it("is found process-wide once installed", () => {
    const m = new CommManager(fake().transport);
    installCommManager(m);
    expect(currentCommManager()).toBe(m);
  });
});
