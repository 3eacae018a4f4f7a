/**
 * One file from the Hub into the cache, safely: bytes go to `<file>.incomplete` and are renamed
 * into place only once complete (no half-written file is ever used); an interrupted download
 * resumes with an HTTP Range request (If-Range on the ETag, so a changed file restarts).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import * as path from "node:path";
import { AttnlensError } from "../../errors";

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
  const res = await request(url, headers, options.label);
  if (res.status === 416) {
    // The partial file is not a prefix of the current one: start over.
    rmSync(part, { force: true });
    return downloadFile(url, dest, options);
  }
  if (!res.ok || !res.body) throw httpError(res.status, options.label, url);
  const resumed = res.status === 206;
  if (!resumed) have = 0;
  const total = totalSize(res);
  writeFileSync(meta, JSON.stringify({ etag: res.headers.get("etag") } satisfies PartialMeta));
  const file = await open(part, resumed ? "a" : "w");
  let loaded = have;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
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

/** fetch, with network failures turned into an actionable error. */
export async function request(url: string, headers: Record<string, string>, label: string): Promise<Response> {
  try {
    return await fetch(url, { headers, redirect: "follow" });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new AttnlensError(
      "NETWORK",
      `cannot reach ${new URL(url).origin} for ${label} (${cause?.code ?? cause?.message ?? (e as Error).message}). ` +
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
