/**
 * A Hugging Face Hub model as a local directory in the standard Hugging Face cache (shared with
 * Python's huggingface_hub, see cacheLayout.ts):
 *
 *   list the repository once (commit, names, sizes, hashes) ─► choose files by the known layouts
 *   ─► refuse up front what exceeds the download limit ─► fetch each from resolve/<that commit>
 *   into blobs/ (size-capped, hash-checked) ─► read the ONNX files' external-data names, fetch those
 *   ─► link snapshots/<commit>/… ─► refs/<revision> = commit
 *
 * Offline, or when the Hub cannot be reached, the snapshot refs/<revision> names is used if it
 * holds a complete model, whichever client downloaded it.
 *
 * Why not @huggingface/hub (2.17): its snapshotDownload fetches every file of the repository (all
 * ONNX variants, safetensors, …); its downloadFileToCacheDir checks file names but joins the
 * server's oid and last-commit id into paths unchecked, never verifies a hash, and has no size
 * cap, no resume and no stall timeout. The layout is small enough to write here, with every check
 * in one place.
 */
import { existsSync, readdirSync, rmdirSync, rmSync, statSync } from "node:fs";
import * as path from "node:path";
import { AttnlensError } from "../../errors";
import { chooseLayout, isLayoutProblem, type ModelFiles } from "../layout";
import { checkRevision, hubCacheDir, RepoCache } from "./cacheLayout";
import { byteSize, type DownloadProgress, downloadBlob } from "./download";
import { externalDataFiles } from "./externalData";
import { fetchListing, type Listing } from "./listing";
import { progressReporter } from "./progress";

/** Where and how `fetchHubModel` downloads: revision, cache directory, token, limit, progress callback. */
export interface HubOptions {
  /** Branch, tag or commit (default "main"). */
  revision?: string;
  /**
   * The Hugging Face cache directory, shared with Python's huggingface_hub (default: $HF_HUB_CACHE,
   * else $HF_HOME/hub, else ~/.cache/huggingface/hub).
   */
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
  /**
   * The most bytes one model's download may take, all files together (default: $ATTNLENS_MAX_DOWNLOAD_BYTES,
   * else 8 GiB). Checked against the sizes the Hub declares before anything is written.
   */
  maxDownloadBytes?: number;
}

/** Default cap on one model's download: above it the user says so (maxDownloadBytes). */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 8 * 2 ** 30;

/** Ids that look like Hub model ids (`owner/name`, or a legacy bare `name`); fetchHubModel checks them fully. */
export const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;
const TEXT_FILES = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"];

const truthy = (v: string | undefined) => v != null && /^(1|true|yes|on)$/i.test(v);

export function hubSettings(o: HubOptions) {
  const limit = o.maxDownloadBytes ?? Number(process.env.ATTNLENS_MAX_DOWNLOAD_BYTES || DEFAULT_MAX_DOWNLOAD_BYTES);
  if (!(Number.isFinite(limit) && limit > 0)) {
    throw new AttnlensError(
      "BAD_INPUT",
      `maxDownloadBytes (or ATTNLENS_MAX_DOWNLOAD_BYTES) must be a positive number of bytes, not ${String(limit)}`,
    );
  }
  return {
    revision: o.revision ?? "main",
    cacheDir: hubCacheDir(o.cacheDir),
    offline: o.offline ?? (truthy(process.env.HF_HUB_OFFLINE) || truthy(process.env.ATTNLENS_OFFLINE)),
    endpoint: (o.endpoint ?? process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, ""),
    token: o.token ?? process.env.HF_TOKEN,
    maxDownloadBytes: limit,
  };
}

/**
 * Downloads a model from the Hugging Face Hub (or finds it in the cache) and returns the local directory
 * holding its ONNX, tokenizer and config files: `<cache>/models--owner--name/snapshots/<commit>`.
 */
export async function fetchHubModel(id: string, options: HubOptions = {}): Promise<string> {
  const s = hubSettings(options);
  const repo = new RepoCache(s.cacheDir, id);
  checkRevision(s.revision);
  const choose = (files: readonly string[]) =>
    chooseLayout(files, { quantized: options.quantized, knownNamesOnly: true });
  if (s.offline) {
    const hit = cachedSnapshot(repo, s.revision, choose);
    if (hit) return hit;
    throw new AttnlensError(
      "NETWORK",
      `offline mode: ${id} (revision ${s.revision}) is not in the cache (${repo.root}); load it once online, ` +
        "or point cacheDir (HF_HUB_CACHE) at a cache that holds it",
    );
  }
  const headers: Record<string, string> = s.token ? { Authorization: `Bearer ${s.token}` } : {};
  let listing: Listing;
  try {
    listing = await fetchListing(s.endpoint, id, s.revision, headers, options.timeoutMs);
  } catch (e) {
    const hit = e instanceof AttnlensError && e.code === "NETWORK" ? cachedSnapshot(repo, s.revision, choose) : null;
    if (!hit) throw e;
    process.stderr.write(`attnlens: ${(e as Error).message.split(". ")[0]}; using the cached copy in ${hit}\n`);
    return hit;
  }
  const names = [...listing.files.keys()];
  const layout = choose(names);
  if (isLayoutProblem(layout)) {
    throw new AttnlensError(
      "MISSING_FILES",
      `${id} on ${s.endpoint} has no ONNX model attnlens can use: ${layout.problem}. Looked for: ${layout.lookedFor.join(", ")}`,
    );
  }
  const job = new SnapshotJob(repo, listing, s, headers, options);
  try {
    await job.fetchModel(layout);
  } catch (e) {
    // Whatever this run linked into the snapshot goes: a failed download leaves no partial snapshot.
    // (Blobs stay: each is whole and hash-checked, and the next run reuses it.)
    job.undo();
    throw e;
  }
  repo.writeRef(s.revision, listing.commit);
  return repo.snapshot(listing.commit);
}

/** The downloads of one snapshot, against one commit and one byte budget. */
class SnapshotJob {
  private reserved = 0;
  /** Snapshot files this run made, for undo(). */
  private readonly made: string[] = [];
  private readonly report: ((p: DownloadProgress) => void) | undefined;
  constructor(
    private readonly repo: RepoCache,
    private readonly listing: Listing,
    private readonly s: ReturnType<typeof hubSettings>,
    private readonly headers: Record<string, string>,
    private readonly options: HubOptions,
  ) {
    this.report = options.onProgress === false ? undefined : (options.onProgress ?? progressReporter());
  }

  /** The text files, the ONNX files, then the external data each ONNX file names. */
  async fetchModel(layout: ModelFiles): Promise<void> {
    const { files, commit } = this.listing;
    const onnx = onnxFiles(layout);
    this.reserve([...TEXT_FILES.filter((f) => files.has(f)), ...onnx]);
    for (const f of TEXT_FILES) if (files.has(f)) await this.fetch(f);
    for (const f of onnx) {
      const data = externalDataFiles(await this.fetch(f), f);
      const missing = data.filter((d) => !files.has(d));
      if (missing.length) {
        throw new AttnlensError(
          "MISSING_FILES",
          `${this.repo.id}/${f} keeps its weights in ${missing.join(", ")}, which the repository does not have (commit ${commit})`,
        );
      }
      this.reserve(data);
      for (const d of data) await this.fetch(d, true);
    }
  }

  undo(): void {
    const top = this.repo.snapshot(this.listing.commit);
    for (const f of this.made) {
      rmSync(f, { force: true });
      // Folders this left empty, up to and including the snapshot's own.
      for (let d = path.dirname(f); d.startsWith(top); d = path.dirname(d)) {
        if (!existsSync(d) || readdirSync(d).length > 0) break;
        rmdirSync(d);
      }
    }
  }

  /** Counts the declared sizes of files not yet in the snapshot against the limit, before any is written. */
  reserve(files: readonly string[]): void {
    for (const f of files) {
      if (existsSync(this.repo.pointer(this.listing.commit, f))) continue;
      this.reserved += this.listing.files.get(f)?.size ?? 0;
    }
    if (this.reserved > this.s.maxDownloadBytes) {
      throw new AttnlensError(
        "TOO_LARGE",
        `${this.repo.id} declares ${gb(this.reserved)} to download (${files.join(", ")}), over the download limit of ` +
          `${gb(this.s.maxDownloadBytes)}: raise maxDownloadBytes (CLI: --max-download-bytes, or ATTNLENS_MAX_DOWNLOAD_BYTES) if you trust this repository`,
      );
    }
  }

  /** One file into the snapshot (a link to its blob), downloaded unless the cache has it. */
  async fetch(name: string, externalData = false): Promise<string> {
    const { commit, files } = this.listing;
    const dest = this.repo.pointer(commit, name);
    if (existsSync(dest)) {
      if (externalData) this.repo.asHardLink(dest);
      return dest;
    }
    const listed = files.get(name);
    const url = `${this.s.endpoint}/${this.repo.id}/resolve/${commit}/${name.split("/").map(encodeURIComponent).join("/")}`;
    const declared = listed?.size ?? 0;
    const { hash, size } = await downloadBlob({
      repo: this.repo,
      url,
      commit,
      size: listed?.size,
      sha256: listed?.sha256,
      blobId: listed?.blobId,
      // What this file declared is already counted; an undeclared size may use what is left.
      budget: this.s.maxDownloadBytes - this.reserved + declared,
      headers: this.headers,
      timeoutMs: this.options.timeoutMs,
      onProgress: this.report,
      label: `${this.repo.id}/${name}`,
    });
    if (listed?.size == null) this.reserved += size;
    this.made.push(dest);
    return this.repo.link(commit, name, hash, externalData);
  }
}

function onnxFiles(layout: ModelFiles): string[] {
  return [layout.model, layout.encoder, layout.decoder].filter((f): f is string => !!f);
}

/**
 * The snapshot `revision` names in the cache, if it holds a complete model (its ONNX files, their
 * external data, and links that resolve), whether attnlens or huggingface_hub put it there.
 */
function cachedSnapshot(
  repo: RepoCache,
  revision: string,
  choose: (files: readonly string[]) => ReturnType<typeof chooseLayout>,
): string | null {
  const commit = repo.cachedCommit(revision);
  if (!commit) return null;
  const dir = repo.snapshot(commit);
  if (!existsSync(dir)) return null;
  const files = snapshotFiles(dir);
  const layout = choose(files);
  if (isLayoutProblem(layout)) return null;
  try {
    for (const f of onnxFiles(layout)) {
      const data = externalDataFiles(path.join(dir, ...f.split("/")), f);
      if (data.some((d) => !files.includes(d))) return null;
      for (const d of data) repo.asHardLink(path.join(dir, ...d.split("/")));
    }
  } catch (e) {
    if (e instanceof AttnlensError && e.code === "HUB_REFUSED") throw e;
    return null; // an unreadable file: not a usable cached copy
  }
  return dir;
}

/** The files of a snapshot (top level and onnx/, any depth below for external data); dangling links left out. */
function snapshotFiles(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(dir, rel))) {
    const r = rel ? `${rel}/${name}` : name;
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path.join(dir, r)); // follows the link into blobs/
    } catch {
      continue;
    }
    if (st.isFile()) out.push(r);
    else if (st.isDirectory() && r.split("/").length < 4) out.push(...snapshotFiles(dir, r));
  }
  return out.sort();
}

const gb = byteSize;
