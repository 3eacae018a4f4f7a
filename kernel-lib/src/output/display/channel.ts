/**
 * How a display bundle reaches the notebook. tslab's public `display.raw(mime, data)` sends one MIME
 * type as a string; a full bundle (custom MIME as a JSON object, static fallback, text/plain) goes
 * through the kernel's own `tslab/dist/jupyter` module (`lastWriteDisplayData`), found at runtime
 * among the loaded modules: it is the copy of tslab that runs this kernel, whichever install it is.
 */

/** One Jupyter `display_data` message content. */
export interface DisplayMessage {
  /** MIME type → data: JSON objects for `+json` types, strings (base64 for images) otherwise. */
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

export type DisplayChannel =
  | { kind: "bundle"; send(message: DisplayMessage): void }
  /** Only one MIME type per output, as a string. */
  | { kind: "raw"; send(mime: string, data: string): void };

type WriteDisplayData = (message: DisplayMessage, update: boolean) => void;

const JUPYTER_MODULE = /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/;
const PUBLIC_MODULE = /[\\/]tslab[\\/]dist[\\/]public\.js$/;

/** The channel of the running tslab kernel, or null outside a kernel (plain Node, tests, the CLI). */
export function kernelChannel(): DisplayChannel | null {
  const loaded = Object.keys(require.cache);
  for (const id of loaded.filter((m) => JUPYTER_MODULE.test(m))) {
    const exports = require.cache[id]?.exports as { lastWriteDisplayData?: WriteDisplayData | null } | undefined;
    const write = exports?.lastWriteDisplayData;
    // tslab replaces the function per execute request; the one taken now answers the calling cell,
    // even when the bundle is sent after an await.
    if (typeof write === "function") return { kind: "bundle", send: (message) => write(message, false) };
  }
  for (const id of loaded.filter((m) => PUBLIC_MODULE.test(m))) {
    const display = (require.cache[id]?.exports as { display?: { raw(mime: string, data: string): void } })?.display;
    if (display && typeof display.raw === "function" && isKernelProcess()) {
      return { kind: "raw", send: (mime, data) => display.raw(mime, data) };
    }
  }
  return null;
}

/** True inside a tslab kernel process (started as `tslab kernel …`). */
function isKernelProcess(): boolean {
  return process.argv.includes("kernel") && process.argv.some((a) => /tslab/.test(a));
}
