/**
 * Jupyter comms (the kernel messaging spec's "custom messages"): a registry of comm targets and open
 * comms, fed by the kernel's shell channel and publishing on iopub through a transport. It knows
 * nothing of ZeroMQ (see launch.ts) or of widgets (see output/widget): tests drive it with a fake
 * transport. Nothing a front end sends may throw out of `handle`: a handler's error is logged and,
 * for an open, answered with a comm_close so the front end does not wait on a comm that is not there.
 */

/** Where comm messages go: the kernel's iopub socket (launch.ts) or a test's recorder. */
export interface CommTransport {
  publish(
    msgType: "comm_open" | "comm_msg" | "comm_close",
    content: Record<string, unknown>,
    buffers: readonly Uint8Array[],
    metadata: Record<string, unknown>,
  ): void;
  /** One line for the kernel log (stderr of the kernel process). */
  log(line: string): void;
}

/** A message received on a comm: its `data`, binary buffers, metadata and wire size. */
export interface CommMessage {
  data: unknown;
  buffers: Uint8Array[];
  metadata: Record<string, unknown>;
  /** Bytes of the message's content JSON plus its buffers, as received (0 when unknown). */
  bytes: number;
}

export type CommTarget = (comm: Comm, open: CommMessage) => void;

export class Comm {
  onMessage: ((msg: CommMessage) => void) | null = null;
  onClose: ((msg: CommMessage) => void) | null = null;
  private closed = false;

  constructor(
    readonly id: string,
    readonly targetName: string,
    private readonly manager: CommManager,
  ) {}

  get isOpen(): boolean {
    return !this.closed;
  }

  send(data: unknown, buffers: readonly Uint8Array[] = [], metadata: Record<string, unknown> = {}): void {
    if (this.closed) return;
    this.manager.transport.publish("comm_msg", { comm_id: this.id, data }, buffers, metadata);
  }

  /** Closes from the kernel side and tells the front end. */
  close(data: unknown = {}): void {
    if (this.closed) return;
    this.closed = true;
    this.manager.forget(this.id);
    this.manager.transport.publish("comm_close", { comm_id: this.id, data }, [], {});
  }

  /** Closed by the front end: no message goes back. */
  closedRemotely(): void {
    this.closed = true;
  }
}

const COMM_MESSAGE_TYPES = new Set(["comm_open", "comm_msg", "comm_close", "comm_info_request"]);

export function isCommMessageType(msgType: string): boolean {
  return COMM_MESSAGE_TYPES.has(msgType);
}

export class CommManager {
  private readonly targets = new Map<string, CommTarget>();
  private readonly comms = new Map<string, Comm>();

  constructor(readonly transport: CommTransport) {}

  registerTarget(name: string, handler: CommTarget): void {
    this.targets.set(name, handler);
  }

  /** Opens a comm from the kernel (e.g. a new widget model). */
  open(
    targetName: string,
    data: unknown,
    buffers: readonly Uint8Array[] = [],
    metadata: Record<string, unknown> = {},
    id: string = newCommId(),
  ): Comm {
    const comm = new Comm(id, targetName, this);
    this.comms.set(id, comm);
    this.transport.publish("comm_open", { comm_id: id, target_name: targetName, data }, buffers, metadata);
    return comm;
  }

  get(id: string): Comm | undefined {
    return this.comms.get(id);
  }

  forget(id: string): void {
    this.comms.delete(id);
  }

  /**
   * One shell message of a comm type. Returns the reply content for comm_info_request, else null.
   * Never throws: bad content and handler errors become log lines.
   */
  handle(
    msgType: string,
    content: unknown,
    buffers: Uint8Array[] = [],
    metadata: Record<string, unknown> = {},
    bytes = 0,
  ): Record<string, unknown> | null {
    const c = (content && typeof content === "object" ? content : {}) as Record<string, unknown>;
    if (msgType === "comm_info_request") return this.info(c.target_name);
    const id = c.comm_id;
    if (typeof id !== "string" || id === "") {
      this.transport.log(`attnlens kernel: ${msgType} without a comm_id string; ignored`);
      return null;
    }
    const msg: CommMessage = { data: c.data ?? {}, buffers, metadata, bytes };
    if (msgType === "comm_open") this.openFromFront(id, c.target_name, msg);
    else if (msgType === "comm_msg") this.deliver(id, msg);
    else if (msgType === "comm_close") this.closeFromFront(id, msg);
    return null;
  }

  private info(targetName: unknown): Record<string, unknown> {
    const comms: Record<string, { target_name: string }> = {};
    for (const comm of this.comms.values()) {
      if (typeof targetName === "string" && targetName !== "" && comm.targetName !== targetName) continue;
      comms[comm.id] = { target_name: comm.targetName };
    }
    return { status: "ok", comms };
  }

  private openFromFront(id: string, targetName: unknown, msg: CommMessage): void {
    const handler = typeof targetName === "string" ? this.targets.get(targetName) : undefined;
    if (!handler) {
      this.transport.log(`attnlens kernel: comm_open for unknown target ${JSON.stringify(targetName)}; closed`);
      this.transport.publish("comm_close", { comm_id: id, data: {} }, [], {});
      return;
    }
    const comm = new Comm(id, targetName as string, this);
    this.comms.set(id, comm);
    if (!this.guard(`comm_open on ${targetName}`, () => handler(comm, msg))) comm.close();
  }

  private deliver(id: string, msg: CommMessage): void {
    const comm = this.comms.get(id);
    if (!comm) {
      this.transport.log(`attnlens kernel: comm_msg for unknown comm ${id}; ignored`);
      return;
    }
    const onMessage = comm.onMessage;
    if (onMessage) this.guard(`comm_msg on ${comm.targetName}`, () => onMessage(msg));
  }

  private closeFromFront(id: string, msg: CommMessage): void {
    const comm = this.comms.get(id);
    if (!comm) return;
    this.comms.delete(id);
    comm.closedRemotely();
    const onClose = comm.onClose;
    if (onClose) this.guard(`comm_close on ${comm.targetName}`, () => onClose(msg));
  }

  /** Runs a handler; its error is logged, never thrown into the kernel's message loop. */
  private guard(what: string, fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      this.transport.log(`attnlens kernel: ${what} failed: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }
}

function newCommId(): string {
  return globalThis.crypto.randomUUID().replace(/-/g, "");
}

/** The process-wide key the comm kernel stores its manager under (one per kernel process, any attnlens copy). */
const MANAGER_KEY = Symbol.for("attnlens.kernel.comms");

export function installCommManager(manager: CommManager): void {
  (globalThis as Record<symbol, unknown>)[MANAGER_KEY] = manager;
}

/** The running kernel's comm manager, or null in a kernel without comms (plain tslab, nbconvert's, plain Node). */
export function currentCommManager(): CommManager | null {
  const m = (globalThis as Record<symbol, unknown>)[MANAGER_KEY];
  return m instanceof Object && typeof (m as CommManager).open === "function" ? (m as CommManager) : null;
}
