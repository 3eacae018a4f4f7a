/**
 * How a display bundle reaches the notebook. tslab's public `display.raw(mime, data)` sends one MIME
 * type as a string; a full bundle (custom MIME as a JSON object, static fallback, text/plain) goes
 * through the kernel's own `tslab/dist/jupyter` module (`lastWriteDisplayData`), found at runtime
 * among the loaded modules: it is the copy of tslab that runs this kernel, whichever install it is.
 * That export is tslab's internal, not its API: it is checked before use, and when it is missing or
 * has another shape the public path is used instead, with one warning that names the tslab version.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";

/** One Jupyter `display_data` message content. */
export interface DisplayMessage {
  /** MIME type → data: JSON objects for `+json` types, strings (base64 for images) otherwise. */
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

export type DisplayChannel =
  /** `update`: an update_display_data replacing the outputs with the message's display_id. */
  | { kind: "bundle"; send(message: DisplayMessage, update?: boolean): void }
  /** Only one MIME type per output, as a string. */
  | { kind: "raw"; send(mime: string, data: string): void };

/** Where to look, and what to tell; the defaults are this process's (tests pass fakes). */
export interface ChannelContext {
  /** Loaded modules by file name (default: `require.cache`). */
  modules?: Record<string, { exports?: unknown } | undefined>;
  /** Whether this process is a tslab kernel (default: from `process.argv`). */
  inKernel?: boolean;
  /** Where the one-time warning goes (default: stderr). */
  warn?: (line: string) => void;
}

type WriteDisplayData = (message: DisplayMessage, update: boolean) => void;

const JUPYTER_MODULE = /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/;
const PUBLIC_MODULE = /[\\/]tslab[\\/]dist[\\/]public\.js$/;

/** What is lost on the public path, for the warning. */
const LOST =
  "attnlens views go through tslab's public display.raw instead: one MIME type per output, so no static " +
  "SVG picture or text summary beside the interactive view (outputs need the attnlens JupyterLab extension)";

let warned = false;

/** The channel of the running tslab kernel, or null outside a kernel (plain Node, tests, the CLI). */
export function kernelChannel(context: ChannelContext = {}): DisplayChannel | null {
  const modules = context.modules ?? (require.cache as NonNullable<ChannelContext["modules"]>);
  const loaded = Object.keys(modules);
  let problem = "is missing";
  for (const id of loaded.filter((m) => JUPYTER_MODULE.test(m))) {
    const hook = internalHook(modules[id]?.exports);
    // tslab replaces the function per execute request; the one taken now answers the calling cell,
    // even when the bundle is sent after an await.
    if (typeof hook === "function")
      return { kind: "bundle", send: (message, update) => hook(message, update === true) };
    if (hook === "changed") problem = "has changed";
  }
  const inKernel = context.inKernel ?? isKernelProcess();
  for (const id of loaded.filter((m) => PUBLIC_MODULE.test(m))) {
    const display = (modules[id]?.exports as { display?: { raw?: unknown } } | undefined)?.display;
    if (!display || typeof display.raw !== "function" || !inKernel) continue;
    warnOnce(`attnlens: tslab ${tslabVersion(id)}: its internal lastWriteDisplayData ${problem}; ${LOST}.\n`, context);
    const raw = display.raw as (mime: string, data: string) => void;
    return { kind: "raw", send: (mime, data) => raw.call(display, mime, data) };
  }
  return null;
}

/**
 * tslab's `lastWriteDisplayData` when it has the shape this code was written against (tslab 1.0:
 * a function of the message and an update flag), else a reason it cannot be used.
 */
function internalHook(exports: unknown): WriteDisplayData | "missing" | "changed" {
  if (!exports || typeof exports !== "object" || !("lastWriteDisplayData" in exports)) return "missing";
  const write = (exports as { lastWriteDisplayData: unknown }).lastWriteDisplayData;
  return typeof write === "function" && write.length === 2 ? (write as WriteDisplayData) : "changed";
}

/** The version in tslab's package.json, two folders above its dist module ("unknown version" if unreadable). */
function tslabVersion(moduleFile: string): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(path.dirname(moduleFile), "..", "package.json"), "utf8"));
    return typeof pkg.version === "string" ? pkg.version : "(unknown version)";
  } catch {
    return "(unknown version)";
  }
}

function warnOnce(line: string, context: ChannelContext): void {
  if (warned) return;
  warned = true;
  (context.warn ?? ((s: string) => process.stderr.write(s)))(line);
}

/** Lets tests see the one-time warning again. */
export function resetChannelWarning(): void {
  warned = false;
}

/** True inside a tslab kernel process (started as `tslab kernel …`). */
function isKernelProcess(): boolean {
  return process.argv.includes("kernel") && process.argv.some((a) => /tslab/.test(a));
}
