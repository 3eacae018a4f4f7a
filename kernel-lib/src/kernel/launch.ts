/**
 * The attnlens kernel: tslab's TypeScript kernel, started in this process, with comms added at run
 * time (tslab has none: yunabe/tslab#23). tslab's `ZmqServer.handleShellMessage` receives every
 * raw shell and control message; it is wrapped so that comm_open, comm_msg, comm_close and
 * comm_info_request go to a CommManager, and everything else to tslab unchanged. Kernel code reaches
 * the manager through `currentCommManager()` (a process-wide symbol), so any copy of attnlens
 * loaded by a notebook finds it. No tslab source is copied or edited.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { AttnlensError } from "../errors";
import { registerWidgetTargets } from "../output/widget/targets";
import { CommManager, installCommManager, isCommMessageType } from "./comms";
import { encodeMessage, newHeader, parseMessage, peekMessageType } from "./wire";

/** The parts of tslab's ZmqServer this launcher uses (tslab 1.0.x, dist/jupyter.js). */
interface TslabServer {
  connInfo: { key: string; signature_scheme?: string };
  iopub: ZmqSocket;
}
interface ZmqSocket {
  send(frames: Buffer[]): Promise<void>;
}
type HandleShellMessage = (this: TslabServer, sock: ZmqSocket, ...frames: Buffer[]) => Promise<void>;

export interface LaunchOptions {
  /** The connection file Jupyter passes ({connection_file}). */
  configPath: string;
  /** Where to resolve tslab from (default: this package's location, then the working directory). */
  tslabFrom?: string[];
}

function loadTslab(from: string[]): { jupyter: Record<string, unknown>; main: Record<string, unknown>; dir: string } {
  let jupyterFile: string;
  try {
    jupyterFile = require.resolve("tslab/dist/jupyter.js", { paths: from });
  } catch {
    throw new AttnlensError(
      "BAD_INPUT",
      `the attnlens kernel needs tslab, which is not installed where it looks (${from.join(", ")}); run \`npm install tslab\``,
    );
  }
  const dir = path.dirname(path.dirname(jupyterFile));
  return { jupyter: require(jupyterFile), main: require(path.join(dir, "dist", "main.js")), dir };
}

/** Starts the kernel. Returns once tslab's server has been told to start; the process then serves Jupyter. */
export function launchKernel(options: LaunchOptions): CommManager {
  const tslab = loadTslab(options.tslabFrom ?? [__dirname, process.cwd()]);
  const server = tslab.jupyter.ZmqServer as { prototype: { handleShellMessage?: HandleShellMessage } } | undefined;
  const proto = server?.prototype;
  const original = proto?.handleShellMessage;
  const startKernel = tslab.main.startKernel;
  if (!proto || typeof original !== "function" || typeof startKernel !== "function") {
    const version = JSON.parse(readFileSync(path.join(tslab.dir, "package.json"), "utf8")).version;
    throw new AttnlensError(
      "BAD_INPUT",
      `tslab ${version} at ${tslab.dir} has no ZmqServer.handleShellMessage/startKernel (written for tslab 1.0); install tslab 1.0.x`,
    );
  }
  const session = globalThis.crypto.randomUUID();
  let key = "";
  let iopub: ZmqSocket | null = null;
  /** The parent of what the kernel publishes: the comm message being handled, else the last execute request. */
  let parent: Record<string, unknown> = {};
  let lastExecute: Record<string, unknown> = {};
  const log = (line: string) => realStderr(`${line}\n`);
  const sendIopub = orderedSender(() => iopub, log);

  const manager = new CommManager({
    publish(msgType, content, buffers, metadata) {
      const header = newHeader(msgType, session);
      sendIopub(encodeMessage(key, [Buffer.from(`kernel.${msgType}`)], header, parent, metadata, content, buffers));
    },
    // tslab points process.stderr at the running cell's output; the kernel log is the real stderr.
    log,
  });
  installCommManager(manager);
  registerWidgetTargets(manager);

  const status = (state: "busy" | "idle", of: Record<string, unknown>) =>
    sendIopub(
      encodeMessage(
        key,
        [Buffer.from("kernel.status")],
        newHeader("status", session),
        of,
        {},
        { execution_state: state },
      ),
    );

  proto.handleShellMessage = async function (this: TslabServer, sock, ...frames) {
    key = this.connInfo.key ?? "";
    iopub = this.iopub;
    const type = peekMessageType(frames);
    if (type === null || !isCommMessageType(type)) {
      if (type === "execute_request") lastExecute = headerOf(frames);
      parent = lastExecute;
      return original.call(this, sock, ...frames);
    }
    let msg: ReturnType<typeof parseMessage>;
    try {
      msg = parseMessage(key, frames);
    } catch (e) {
      manager.transport.log(`attnlens kernel: dropped a ${type}: ${(e as Error).message}`);
      return;
    }
    status("busy", msg.header);
    parent = msg.header;
    try {
      const reply = manager.handle(type, msg.content, msg.buffers, msg.metadata, msg.bytes);
      if (type === "comm_info_request" && reply) {
        const header = newHeader("comm_info_reply", session);
        sock.send(encodeMessage(key, msg.identities, header, msg.header, {}, reply)).catch((e) => log(String(e)));
      }
    } finally {
      parent = lastExecute;
      status("idle", msg.header);
    }
  };
  startKernel({ configPath: options.configPath, enableFindLocal: false });
  exitWithParent(log);
  return manager;
}

/**
 * jupyter_client names the process that started the kernel in JPY_PARENT_PID (ipykernel watches it
 * too): when that process is gone without shutting the kernel down, nobody can reach the kernel
 * any more, so it exits instead of lingering.
 */
function exitWithParent(log: (line: string) => void): void {
  const parent = Number(process.env.JPY_PARENT_PID);
  if (!Number.isInteger(parent) || parent <= 1) return;
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      log(`attnlens kernel: the process that started it (${parent}) is gone; exiting`);
      process.exit(0);
    }
  }, 2000).unref();
}

function headerOf(frames: Buffer[]): Record<string, unknown> {
  const at = frames.findIndex((f) => f.toString("utf8") === "<IDS|MSG>");
  try {
    return JSON.parse(frames[at + 2].toString("utf8"));
  } catch {
    return {};
  }
}

/**
 * zeromq 6 refuses a send while one is in flight; messages are sent at once when the socket is free
 * (so a comm_open goes out before the display_data tslab sends right after it) and queued otherwise.
 */
function orderedSender(socket: () => ZmqSocket | null, log: (line: string) => void) {
  const queue: Buffer[][] = [];
  let flushing = false;
  const flush = async () => {
    flushing = true;
    while (queue.length > 0) {
      const frames = queue.shift() as Buffer[];
      const sock = socket();
      if (!sock) continue;
      try {
        await sock.send(frames);
      } catch (e) {
        log(`attnlens kernel: iopub send failed: ${(e as Error).message}`);
      }
    }
    flushing = false;
  };
  return (frames: Buffer[]) => {
    queue.push(frames);
    if (!flushing) void flush();
  };
}

const stderrWrite = process.stderr.write.bind(process.stderr);
function realStderr(text: string): void {
  stderrWrite(text);
}
