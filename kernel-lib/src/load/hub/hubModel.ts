/**
 * A Hugging Face Hub model as a local directory in the cache:
 *
 *   list the repository (api/models/<id>/revision/<rev>: files and commit) ─► choose files (same
 *   rules as local directories) ─► download what the cache lacks (resumable, atomic)
 *   ─► <cache>/<owner>--<name>/snapshots/<commit>/, with refs/<rev> naming the commit
 *
 * A new commit on the revision gets a new snapshot. Offline, or when the Hub cannot be reached,
 * the snapshot refs/<rev> names is used as it is, if it is complete.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AttnlensError } from "../../errors";
import { chooseLayout, isLayoutProblem, listModelDirectory, type ModelFiles } from "../layout";
import { type DownloadProgress, downloadFile, httpError, request } from "./download";
import { progressReporter } from "./progress";

/** Where and how `fetchHubModel` downloads: revision, cache directory, token, progress callback. */
export interface HubOptions {
  /** Branch, tag or commit (default "main"). */
  revision?: string;
  /** Where downloads are kept (default: $ATTNLENS_CACHE, else ~/.cache/attnlens/hub). */
  cacheDir?: string;
  /** Use only the cache; never contact the Hub (default: $HF_HUB_OFFLINE or $ATTNLENS_OFFLINE set to 1). */
  offline?: boolean;
  /** Hub address (default: $HF_ENDPOINT, else https://huggingface.co). */
  endpoint?: string;
  /** Access token for private or gated models (default: $HF_TOKEN). */
  token?: string;
  /** Called as files download; false for silence. Default: a line on stderr for files over 10 MB. */
  onProgress?: ((p: DownloadProgress) => void) | false;
  /** Prefer quantized ONNX files. */
  quantized?: boolean;
  /** Abandon a request after this long without data, ms (default 30 s, or $ATTNLENS_HUB_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** Model ids as the Hub spells them: `owner/name` (or a legacy bare `name`). */
export const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;
const TEXT_FILES = [
  "config.json",
  "generation_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "preprocessor_config.json",
];

const truthy = (v: string | undefined) => v != null && /^(1|true|yes|on)$/i.test(v);

export function hubSettings(o: HubOptions) {
  return {
    revision: o.revision ?? "main",
    cacheDir: o.cacheDir ?? process.env.ATTNLENS_CACHE ?? path.join(os.homedir(), ".cache", "attnlens", "hub"),
    offline: o.offline ?? (truthy(process.env.HF_HUB_OFFLINE) || truthy(process.env.ATTNLENS_OFFLINE)),
    endpoint: (o.endpoint ?? process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, ""),
    token: o.token ?? process.env.HF_TOKEN,
  };
}

const repoDir = (cacheDir: string, id: string) => path.join(cacheDir, id.replace(/\//g, "--"));
const safe = (s: string) => s.replace(/[^\w.-]/g, "_");

/** The cache directory holding `id` at `commit`. */
export function snapshotDir(cacheDir: string, id: string, commit: string): string {
  return path.join(repoDir(cacheDir, id), "snapshots", safe(commit));
}

/** The commit a revision pointed at when it was last downloaded (or the revision itself). */
function cachedCommit(cacheDir: string, id: string, revision: string): string {
  const ref = path.join(repoDir(cacheDir, id), "refs", safe(revision));
  return existsSync(ref) ? readFileSync(ref, "utf8").trim() : revision;
}

function writeRef(cacheDir: string, id: string, revision: string, commit: string): void {
  const ref = path.join(repoDir(cacheDir, id), "refs", safe(revision));
  mkdirSync(path.dirname(ref), { recursive: true });
  writeFileSync(`${ref}.tmp`, commit);
  renameSync(`${ref}.tmp`, ref);
}

/**
 * Downloads a model from the Hugging Face Hub (or finds it in the cache) and returns the local directory
 * holding its ONNX, tokenizer and config files.
 */
export async function fetchHubModel(id: string, options: HubOptions = {}): Promise<string> {
  const s = hubSettings(options);
  const cached = () => {
    const dir = snapshotDir(s.cacheDir, id, cachedCommit(s.cacheDir, id, s.revision));
    const layout = existsSync(dir) ? chooseLayout(listModelDirectory(dir), options) : null;
    return layout && !isLayoutProblem(layout) ? dir : null;
  };
  if (s.offline) {
    const hit = cached();
    if (hit) return hit;
    throw new AttnlensError(
      "NETWORK",
      `offline mode: ${id} (revision ${s.revision}) is not in the cache (${repoDir(s.cacheDir, id)}); load it once online, ` +
        "or point cacheDir (ATTNLENS_CACHE) at a cache that holds it",
    );
  }
  const headers: Record<string, string> = s.token ? { Authorization: `Bearer ${s.token}` } : {};
  let listing: string[];
  let commit: string;
  try {
    ({ files: listing, commit } = await listRepository(s.endpoint, id, s.revision, headers, options.timeoutMs));
  } catch (e) {
    const hit = e instanceof AttnlensError && e.code === "NETWORK" ? cached() : null;
    if (!hit) throw e;
    process.stderr.write(`attnlens: ${(e as Error).message.split(". ")[0]}; using the cached copy in ${hit}\n`);
    return hit;
  }
  const layout = chooseLayout(listing, options);
  if (isLayoutProblem(layout)) {
    throw new AttnlensError(
      "MISSING_FILES",
      `${id} on ${s.endpoint} has no ONNX model attnlens can use: ${layout.problem}. Looked for: ${layout.lookedFor.join(", ")}`,
    );
  }
  const dir = snapshotDir(s.cacheDir, id, commit);
  const wanted = filesToFetch(layout, listing);
  const report = options.onProgress === false ? undefined : (options.onProgress ?? progressReporter());
  for (const file of wanted) {
    const dest = path.join(dir, ...file.split("/"));
    if (existsSync(dest)) continue;
    const url = `${s.endpoint}/${id}/resolve/${encodeURIComponent(s.revision)}/${file.split("/").map(encodeURIComponent).join("/")}`;
    await downloadFile(url, dest, {
      headers,
      onProgress: report,
      label: `${id}/${file}`,
      timeoutMs: options.timeoutMs,
    });
  }
  writeRef(s.cacheDir, id, s.revision, commit);
  return dir;
}

async function listRepository(
  endpoint: string,
  id: string,
  revision: string,
  headers: Record<string, string>,
  timeoutMs?: number,
): Promise<{ files: string[]; commit: string }> {
  const url = `${endpoint}/api/models/${id}/revision/${encodeURIComponent(revision)}`;
  const { res, stop } = await request(url, headers, id, timeoutMs);
  let body: { sha?: string; siblings?: { rfilename?: string }[] };
  try {
    if (!res.ok) throw httpError(res.status, `model ${id}`, url);
    body = (await res.json()) as typeof body;
  } finally {
    stop();
  }
  const files = (body.siblings ?? []).map((x) => x.rfilename).filter((f): f is string => typeof f === "string");
  return { files, commit: typeof body.sha === "string" && body.sha ? body.sha : revision };
}

/** The chosen ONNX files, their external-data files (model.onnx_data, …) and the text files. */
function filesToFetch(layout: ModelFiles, listing: readonly string[]): string[] {
  const onnx = [layout.model, layout.encoder, layout.decoder].filter((f): f is string => !!f);
  const data = listing.filter((f) => onnx.some((o) => f !== o && f.startsWith(o)));
  return [...TEXT_FILES.filter((f) => listing.includes(f)), ...onnx, ...data];
}
