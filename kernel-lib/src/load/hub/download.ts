/**
 * One file from the Hub into the cache, safely: bytes go to `<file>.incomplete` and are renamed
 * into place only once complete (no half-written file is ever used); an interrupted download
 * resumes with an HTTP Range request (If-Range on the ETag, so a changed file restarts).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import * as path from "node:path";
import { AttnlensError } from "../../errors";

/** Progress of one file download from the Hugging Face Hub (`loaded` and `total` in bytes). */
export interface DownloadProgress {
  /** Path of the file in the repository. */
  file: string;
  loaded: number;
  /** Total bytes, when the server says. */
  total: number | null;
  done: boolean;
}

export interface DownloadOptions {
  headers?: Record<string, string>;
  /** Give up when the server sends nothing for this long, ms (default HUB_TIMEOUT_MS). */
  timeoutMs?: number;
  onProgress?: (p: DownloadProgress) => void;
  /** The repository path, for progress and messages. */
  label: string;
}

interface PartialMeta {
  etag: string | null;
}

export async function downloadFile(url: string, dest: string, options: DownloadOptions): Promise<void> {
  mkdirSync(path.dirname(dest), { recursive: true });
  const part = `${dest}.incomplete`;
  const meta = `${part}.json`;
  let have = existsSync(part) ? statSync(part).size : 0;
  const previous: PartialMeta = have && existsSync(meta) ? JSON.parse(readFileSync(meta, "utf8")) : { etag: null };
  const headers: Record<string, string> = { ...options.headers };
  if (have > 0) {
    headers.Range = `bytes=${have}-`;
    if (previous.etag) headers["If-Range"] = previous.etag;
  }
  const watched = await request(url, headers, options.label, options.timeoutMs);
  const res = watched.res;
  if (res.status === 416) {
    watched.stop();
    // The partial file is not a prefix of the current one: start over.
    rmSync(part, { force: true });
    return downloadFile(url, dest, options);
  }
  if (!res.ok || !res.body) {
    watched.stop();
    throw httpError(res.status, options.label, url);
  }
  const resumed = res.status === 206;
  if (!resumed) have = 0;
  const total = totalSize(res);
  writeFileSync(meta, JSON.stringify({ etag: res.headers.get("etag") } satisfies PartialMeta));
  const file = await open(part, resumed ? "a" : "w");
  let loaded = have;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      watched.touch();
      await file.write(chunk);
      loaded += chunk.byteLength;
      options.onProgress?.({ file: options.label, loaded, total, done: false });
    }
  } catch (e) {
    throw new AttnlensError(
      "NETWORK",
      `the download of ${options.label} broke off after ${loaded} bytes (${(e as Error).message}); run again to resume it`,
    );
  } finally {
    watched.stop();
    await file.close();
  }
  if (total != null && loaded !== total) {
    throw new AttnlensError(
      "NETWORK",
      `the download of ${options.label} stopped at ${loaded} of ${total} bytes; run again to resume it`,
    );
  }
  renameSync(part, dest);
  rmSync(meta, { force: true });
  options.onProgress?.({ file: options.label, loaded, total: total ?? loaded, done: true });
}

/**
 * How long a Hub request may go without any bytes before it is abandoned (ms): a network that
 * silently drops packets must not hang a notebook cell. $ATTNLENS_HUB_TIMEOUT_MS overrides it.
 */
export const HUB_TIMEOUT_MS = 30_000;

/** A response whose stall timer is re-armed by `touch()` as data arrives, and cleared by `stop()`. */
export interface WatchedResponse {
  res: Response;
  touch(): void;
  stop(): void;
}

/** fetch, with network failures and stalls turned into actionable errors. */
export async function request(
  url: string,
  headers: Record<string, string>,
  label: string,
  timeoutMs = Number(process.env.ATTNLENS_HUB_TIMEOUT_MS) || HUB_TIMEOUT_MS,
): Promise<WatchedResponse> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${timeoutMs / 1000} s`)), timeoutMs);
  };
  const stop = () => clearTimeout(timer);
  touch();
  try {
    const res = await fetch(url, { headers, redirect: "follow", signal: controller.signal });
    touch();
    return { res, touch, stop };
  } catch (e) {
    stop();
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = controller.signal.aborted
      ? `no answer within ${timeoutMs / 1000} s`
      : (cause?.code ?? cause?.message ?? (e as Error).message);
    throw new AttnlensError(
      "NETWORK",
      `cannot reach ${new URL(url).origin} for ${label} (${why}). ` +
        "If you are offline, load with { offline: true } (CLI: --offline, or HF_HUB_OFFLINE=1) to use the models already in the cache",
    );
  }
}

/** The whole file's size: from Content-Range on a resumed (206) response, else Content-Length. */
function totalSize(res: Response): number | null {
  const range = res.headers.get("content-range");
  const m = range ? /\/(\d+)\s*$/.exec(range) : null;
  if (m) return Number(m[1]);
  const length = res.headers.get("content-length");
  return length != null ? Number(length) : null;
}

export function httpError(status: number, label: string, url: string): AttnlensError {
  if (status === 401 || status === 403 || status === 404) {
    return new AttnlensError(
      "NOT_FOUND",
      `${label} was not found at ${url} (HTTP ${status}): check the model id (owner/name) and revision; ` +
        "a private or gated model needs a token (option token, or the HF_TOKEN environment variable)",
    );
  }
  return new AttnlensError("NETWORK", `the Hub answered HTTP ${status} for ${label} (${url}); try again later`);
}
