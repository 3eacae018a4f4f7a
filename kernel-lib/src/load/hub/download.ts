/**
 * One file from the Hub into the cache's blobs/, safely:
 *
 *   GET resolve/<commit>/<file> (redirects followed by hand, so the Hub's own X-Repo-Commit,
 *   X-Linked-Etag and X-Linked-Size are read) ─► refuse before writing: another commit, a size over
 *   the declared one or the limit, not enough disk ─► stream into blobs/<hash>.incomplete, cut off
 *   past the declared size ─► check the bytes against their hash ─► rename to blobs/<hash>.
 *
 * A network break keeps an LFS file's blobs/<sha256>.incomplete (huggingface_hub's own name for
 * it), which the next run of either client resumes with a Range request (one attnlens download of
 * it at a time, by a lock file); a refusal deletes it, and small files are simply fetched again.
 * Nothing is ever renamed into place before its hash is checked.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { open } from "node:fs/promises";
import * as path from "node:path";
import { AttnlensError } from "../../errors";
import { BLOB, type RepoCache, refused } from "./cacheLayout";

/** Progress of one file download from the Hugging Face Hub (`loaded` and `total` in bytes). */
export interface DownloadProgress {
  /** Path of the file in the repository. */
  file: string;
  loaded: number;
  /** Total bytes, when the server says. */
  total: number | null;
  done: boolean;
}

export interface BlobRequest {
  repo: RepoCache;
  /** resolve/<commit>/<file> on the Hub. */
  url: string;
  commit: string;
  /** What the listing declared (each may be unknown). */
  size?: number;
  /** An LFS file's sha256: its blob's name, known before the request (so a partial file can resume). */
  sha256?: string;
  /** The git blob id: a small file's blob name. */
  blobId?: string;
  /** Bytes this file may take at most (what is left of the download limit). */
  budget: number;
  headers: Record<string, string>;
  timeoutMs?: number;
  onProgress?: (p: DownloadProgress) => void;
  /** `owner/name/path`, for progress and messages. */
  label: string;
}

/** Downloads one file into blobs/ and returns its hash (the blob's name) and size. */
export async function downloadBlob(r: BlobRequest): Promise<{ hash: string; size: number }> {
  const named = r.sha256 ?? r.blobId;
  const present = () =>
    named && existsSync(r.repo.blob(named)) ? { hash: named, size: statSync(r.repo.blob(named)).size } : null;
  const cached = present();
  if (cached) return cached;
  if (!r.sha256) return fetchBlob(r);
  // A resumable partial file is shared: one download of it at a time (another attnlens process, or
  // another call in this one, is waited for, and its result used).
  const blob = r.repo.blob(r.sha256);
  const release = await lockBlob(`${blob}.attnlens-lock`, `${blob}.incomplete`);
  try {
    return present() ?? (await fetchBlob(r));
  } finally {
    release();
  }
}

async function fetchBlob(r: BlobRequest, retried = false): Promise<{ hash: string; size: number }> {
  // Only an LFS file (named by its sha256 before the request) resumes a partial file; others get a
  // partial file of their own.
  const known = r.sha256 ? r.repo.blob(r.sha256) : null;
  let have = known && existsSync(`${known}.incomplete`) ? statSync(`${known}.incomplete`).size : 0;
  if (r.size != null && have > r.size) {
    rmSync(`${known}.incomplete`, { force: true });
    have = 0;
  }
  const headers: Record<string, string> = { ...r.headers, "Accept-Encoding": "identity" };
  if (have > 0) headers.Range = `bytes=${have}-`;
  const { hub, res, touch, stop } = await followRedirects(r.url, headers, r.label, r.timeoutMs);
  let part: string | null = null;
  try {
    if (res.status === 416 && have > 0) {
      // The partial file is not a prefix of this one: start over.
      rmSync(`${known}.incomplete`, { force: true });
      stop();
      return fetchBlob(r, retried);
    }
    if (!res.ok || !res.body) throw httpError(res.status, r.label, r.url);
    const served = hub.get("x-repo-commit");
    if (served && served !== r.commit) {
      throw refused(
        `the Hub served ${r.label} from commit ${JSON.stringify(served)} when asked for commit ${r.commit}`,
      );
    }
    // huggingface_hub's blob name: X-Linked-Etag (an LFS sha256), else the ETag (the git blob id).
    const linked = normalizeEtag(hub.get("x-linked-etag"));
    const hash = r.sha256 ?? linked ?? r.blobId ?? normalizeEtag(hub.get("etag"));
    if (!hash || !BLOB.test(hash)) {
      throw refused(`the Hub gives ${r.label} no sha256 or git hash (${JSON.stringify(hash)}) to check it against`);
    }
    const blob = r.repo.blob(hash);
    mkdirSync(path.dirname(blob), { recursive: true });
    part = known ? `${blob}.incomplete` : `${blob}.${process.pid}-${randomBytes(4).toString("hex")}.incomplete`;
    if (res.status !== 206) have = 0;
    const from = /^bytes (\d+)-/.exec(res.headers.get("content-range") ?? "");
    if (res.status === 206 && Number(from?.[1]) !== have) {
      throw refused(
        `the Hub answered a resume of ${r.label} from byte ${have} with bytes from ${from?.[1] ?? "nowhere"}`,
      );
    }
    const declared = r.size ?? intHeader(hub.get("x-linked-size")) ?? total(res);
    checkRoom(r, declared, have, blob);
    const length = intHeader(res.headers.get("content-length"));
    if (declared != null && length != null && have + length !== declared) {
      throw refused(`the Hub declares ${declared} bytes for ${r.label} but sends ${have + length}`);
    }
    const limit = declared ?? r.budget;
    const loaded = await stream(res.body, part, have, limit, r, touch, declared);
    if (declared != null && loaded < declared) {
      throw new AttnlensError(
        "NETWORK",
        `the download of ${r.label} stopped at ${loaded} of ${declared} bytes; run again to resume it`,
      );
    }
    const actual = await hashOf(part, hash.length === 64 ? "sha256" : "git", loaded);
    if (actual !== hash) {
      rmSync(part, { force: true });
      // A resumed file whose start was not this file's: one fresh try before calling the server wrong.
      if (have > 0 && !retried) return fetchBlob(r, true);
      throw refused(
        `${r.label} arrived corrupt: its ${hash.length === 64 ? "sha256" : "git hash"} is ${actual}, the Hub declares ${hash}`,
      );
    }
    renameSync(part, blob);
    r.onProgress?.({ file: r.label, loaded, total: loaded, done: true });
    return { hash, size: loaded };
  } catch (e) {
    // A broken connection keeps the bytes of a resumable (LFS) file; anything else keeps nothing.
    if (part && !(known && e instanceof AttnlensError && e.code === "NETWORK")) rmSync(part, { force: true });
    throw e;
  } finally {
    stop();
  }
}

/**
 * An exclusive lock file holding the owner's pid, released by the returned function. A live one is
 * waited for; one whose process is gone, or whose download has written nothing for twice the stall
 * timeout (a reused pid), is stale and taken over.
 */
async function lockBlob(lock: string, partial: string): Promise<() => void> {
  mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let pid = 0;
    try {
      pid = Number(readFileSync(lock, "utf8"));
    } catch {
      continue; // released meanwhile
    }
    if (!alive(pid) || idleMs(lock, partial) > 2 * HUB_TIMEOUT_MS) rmSync(lock, { force: true });
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** How long neither the lock nor the partial file has changed. */
function idleMs(lock: string, partial: string): number {
  const mtime = (f: string) => (existsSync(f) ? statSync(f).mtimeMs : 0);
  return Date.now() - Math.max(mtime(lock), mtime(partial));
}

function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Refuse before writing: over the declared size's budget, or more than the disk has free. */
function checkRoom(r: BlobRequest, declared: number | null, have: number, blob: string): void {
  if (declared != null && declared > r.budget) {
    throw new AttnlensError(
      "TOO_LARGE",
      `${r.label} is ${gb(declared)}, over what the download limit leaves (${gb(r.budget)}): ` +
        "raise maxDownloadBytes (CLI: --max-download-bytes, or ATTNLENS_MAX_DOWNLOAD_BYTES) if you trust this repository",
    );
  }
  const need = (declared ?? 0) - have;
  let free = Number.POSITIVE_INFINITY;
  try {
    const fs = statfsSync(path.dirname(blob));
    free = fs.bavail * fs.bsize;
  } catch {
    // statfs is not everywhere; the write itself then reports a full disk.
  }
  if (need > free) {
    throw new AttnlensError(
      "TOO_LARGE",
      `${r.label} needs ${gb(need)} but the disk of the cache (${r.repo.cacheDir}) has ${gb(free)} free: free space or choose another cacheDir`,
    );
  }
}

async function stream(
  body: ReadableStream<Uint8Array>,
  part: string,
  have: number,
  limit: number,
  r: BlobRequest,
  touch: () => void,
  declared: number | null,
): Promise<number> {
  const file = await open(part, have > 0 ? "a" : "w");
  let loaded = have;
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      touch();
      if (loaded + chunk.byteLength > limit) {
        throw refused(
          declared != null
            ? `the Hub sent more than the ${declared} bytes it declares for ${r.label}; the download was cut off`
            : `${r.label} went past the download limit (${gb(limit)}) without its size declared; the download was cut off`,
        );
      }
      await file.write(chunk);
      loaded += chunk.byteLength;
      r.onProgress?.({ file: r.label, loaded, total: declared, done: false });
    }
  } catch (e) {
    if (e instanceof AttnlensError) throw e;
    throw new AttnlensError(
      "NETWORK",
      `the download of ${r.label} broke off after ${loaded} bytes (${(e as Error).message}); run again to resume it`,
    );
  } finally {
    await file.close();
  }
  return loaded;
}

/** sha256 of the content (LFS files), or git's blob sha1 ("blob <size>\0" + content) for the others. */
async function hashOf(file: string, kind: "sha256" | "git", size: number): Promise<string> {
  const h = createHash(kind === "sha256" ? "sha256" : "sha1");
  if (kind === "git") h.update(`blob ${size}\0`);
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** `W/"abc"` or `"abc"` → abc, as huggingface_hub normalizes ETags into blob names. */
function normalizeEtag(etag: string | null): string | null {
  return etag == null ? null : etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}

function intHeader(v: string | null): number | null {
  if (v == null || !/^\d{1,16}$/.test(v.trim())) return null;
  return Number(v);
}

/** The whole file's size: from Content-Range on a resumed (206) response, else Content-Length. */
function total(res: Response): number | null {
  const m = /\/(\d{1,16})\s*$/.exec(res.headers.get("content-range") ?? "");
  return m ? Number(m[1]) : intHeader(res.headers.get("content-length"));
}

/** Bytes for messages: 8.6 GB, 125.7 MB, 1.0 kB, 12 bytes. */
export function byteSize(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} bytes`;
}
const gb = byteSize;

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

/**
 * GET with redirects followed by hand (at most 5): `hub` holds the headers of the Hub's own answer
 * (X-Repo-Commit, X-Linked-*), before the redirect to a CDN; the token is not sent to another origin.
 */
async function followRedirects(
  url: string,
  headers: Record<string, string>,
  label: string,
  timeoutMs?: number,
): Promise<WatchedResponse & { hub: Headers }> {
  let at = url;
  let hub: Headers | null = null;
  let sent = headers;
  for (let hop = 0; hop <= 5; hop++) {
    const w = await request(at, sent, label, timeoutMs, "manual");
    // The Hub's own answer is the first carrying X-Repo-Commit (a renamed repository redirects before it).
    if (!hub || (!hub.has("x-repo-commit") && w.res.headers.has("x-repo-commit"))) hub = w.res.headers;
    const location = w.res.headers.get("location");
    if (w.res.status < 300 || w.res.status >= 400 || !location) return { ...w, hub };
    w.stop();
    await w.res.body?.cancel();
    const next = new URL(location, at);
    if (next.protocol !== "https:" && next.protocol !== "http:")
      throw refused(`the Hub redirected ${label} to ${next.protocol}`);
    if (next.origin !== new URL(at).origin) {
      const { Authorization: _, ...rest } = sent;
      sent = rest;
    }
    at = next.href;
  }
  throw refused(`the Hub redirected ${label} more than 5 times`);
}

/** fetch, with network failures and stalls turned into actionable errors. */
export async function request(
  url: string,
  headers: Record<string, string>,
  label: string,
  timeoutMs = Number(process.env.ATTNLENS_HUB_TIMEOUT_MS) || HUB_TIMEOUT_MS,
  redirect: "follow" | "manual" = "follow",
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
    const res = await fetch(url, { headers, redirect, signal: controller.signal });
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

/** A response body as text, refused past `max` bytes (a listing is kilobytes; a hostile server may stream forever). */
export async function readText(res: Response, max: number, what: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    n += chunk.byteLength;
    if (n > max) throw refused(`${what} is over ${gb(max)}`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
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
