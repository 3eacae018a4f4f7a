/**
 * The kernel side of one Jupyter widget model (widget message protocol 2.1, as @jupyter-widgets/base
 * 2.x speaks it): a comm on target `jupyter.widget` opened with the full state and its
 * `buffer_paths`; `update` both ways; `echo_update` back to the front ends for each accepted update
 * (so other views of the same model follow); `request_state` answered with the full state; `custom`
 * messages with buffers. What a front end sends is checked: unknown methods, keys it may not write,
 * values of the wrong shape, oversized or malformed messages are refused with an `error` state field
 * (the view shows it) and a kernel log line; nothing it sends throws into the kernel.
 */
import type { Comm, CommManager, CommMessage } from "../../kernel/comms";
import { insertBuffers, splitBuffers } from "./buffers";

export const WIDGET_TARGET = "jupyter.widget";
export const WIDGET_PROTOCOL_VERSION = "2.1.0";
/** Front-end messages carry selections and short texts; anything bigger is refused unread. */
export const MAX_FRONT_MESSAGE_BYTES = 256 * 1024;

/** Checks one value a front end wants to write; returns what is wrong with it, or null. */
export type FieldCheck = (value: unknown) => string | null;

export interface WidgetModelOptions {
  /** The full initial state, with `_model_name`, `_model_module`, … */
  state: Record<string, unknown>;
  /** The keys a front end may write, each with its check. Others are refused. */
  writable: Record<string, FieldCheck>;
  /** Accepted front-end changes, after they are applied. */
  onChange?: (changes: Record<string, unknown>) => void;
  /** A `custom` message's content and buffers. */
  onCustom?: (content: unknown, buffers: Uint8Array[]) => void;
  onClose?: () => void;
}

/** The open widget models of this kernel, for `jupyter.widget.control`'s request_states. */
export const liveModels = new Map<string, WidgetModel>();

export class WidgetModel {
  private readonly comm: Comm;
  private readonly values: Record<string, unknown>;

  constructor(
    manager: CommManager,
    private readonly options: WidgetModelOptions,
  ) {
    this.log = (line) => manager.transport.log(line);
    this.values = { ...options.state };
    const { state, bufferPaths, buffers } = splitBuffers(this.values);
    this.comm = manager.open(WIDGET_TARGET, { state, buffer_paths: bufferPaths }, buffers, {
      version: WIDGET_PROTOCOL_VERSION,
    });
    this.comm.onMessage = (msg) => this.receive(msg);
    this.comm.onClose = () => this.closed();
    liveModels.set(this.id, this);
  }

  private readonly log: (line: string) => void;

  get id(): string {
    return this.comm.id;
  }

  get isOpen(): boolean {
    return this.comm.isOpen;
  }

  get(key: string): unknown {
    return this.values[key];
  }

  /** A copy of the whole state. */
  get state(): Record<string, unknown> {
    return { ...this.values };
  }

  /** Changes state in the kernel and sends the changed keys to the front ends. */
  set(changes: Record<string, unknown>): void {
    Object.assign(this.values, changes);
    this.sendState("update", changes);
  }

  sendCustom(content: unknown, buffers: Uint8Array[] = []): void {
    this.comm.send({ method: "custom", content }, buffers);
  }

  close(): void {
    this.comm.close();
    this.closed();
  }

  /** Refuses a front-end message: the reason goes to the view (`error`) and to the kernel log. */
  refuse(reason: string): void {
    this.log(`attnlens widget ${this.id}: ${reason}`);
    this.set({ error: reason });
  }

  private sendState(method: "update" | "echo_update", changes: Record<string, unknown>): void {
    const { state, bufferPaths, buffers } = splitBuffers(changes);
    this.comm.send({ method, state, buffer_paths: bufferPaths }, buffers);
  }

  private receive(msg: CommMessage): void {
    if (msg.bytes > MAX_FRONT_MESSAGE_BYTES) {
      this.refuse(`refused a message of ${msg.bytes} bytes (the limit is ${MAX_FRONT_MESSAGE_BYTES})`);
      return;
    }
    const data = msg.data as Record<string, unknown>;
    if (!data || typeof data !== "object" || Array.isArray(data) || typeof data.method !== "string") {
      this.refuse("refused a message without a method (expected update, request_state or custom)");
      return;
    }
    switch (data.method) {
      case "update":
        this.receiveUpdate(data, msg.buffers);
        return;
      case "request_state":
        this.sendState("update", this.values);
        return;
      case "custom":
        this.options.onCustom?.(data.content, msg.buffers);
        return;
      default:
        this.refuse(`refused unknown method ${JSON.stringify(data.method).slice(0, 80)}`);
    }
  }

  private receiveUpdate(data: Record<string, unknown>, buffers: Uint8Array[]): void {
    const incoming = data.state;
    if (!incoming || typeof incoming !== "object" || Array.isArray(incoming)) {
      this.refuse("refused an update whose state is not an object");
      return;
    }
    const state = { ...(incoming as Record<string, unknown>) };
    try {
      insertBuffers(state, data.buffer_paths, buffers);
    } catch (e) {
      this.refuse(`refused an update with malformed buffers: ${(e as Error).message}`);
      return;
    }
    const accepted: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const [key, value] of Object.entries(state)) {
      const check = Object.hasOwn(this.options.writable, key) ? this.options.writable[key] : undefined;
      const problem = check ? check(value) : `"${key.slice(0, 40)}" is not writable from the front end`;
      if (problem) problems.push(problem);
      else accepted[key] = value;
    }
    if (Object.keys(accepted).length > 0) {
      Object.assign(this.values, accepted);
      this.sendState("echo_update", accepted);
    }
    if (problems.length > 0) this.refuse(`refused an update: ${problems.join("; ")}`);
    else if (this.values.error) this.set({ error: null });
    if (Object.keys(accepted).length > 0) this.options.onChange?.(accepted);
  }

  private closed(): void {
    liveModels.delete(this.id);
    this.options.onClose?.();
  }
}
