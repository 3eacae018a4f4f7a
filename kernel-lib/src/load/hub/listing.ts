/**
 * One read of a repository at a revision: the commit it points at now and, per file, the size and
 * hash the Hub declares (`api/models/<id>/revision/<rev>?blobs=true`, the call huggingface_hub's
 * `model_info(files_metadata=True)` makes). Every later request names this commit, so a push during
 * the download cannot mix two commits; the sizes cap what is accepted, the hashes check what arrives.
 */
import { AttnlensError } from "../../errors";
import { COMMIT, refused, unsafeName } from "./cacheLayout";
import { httpError, readText, request } from "./download";

/** What the Hub declares about one file; each field is absent when the server does not say. */
export interface ListedFile {
  size?: number;
  /** sha256 of an LFS file's content. */
  sha256?: string;
  /** git blob sha1 of the file (for a non-LFS file, the hash of its content). */
  blobId?: string;
}

export interface Listing {
  commit: string;
  files: Map<string, ListedFile>;
}

interface Sibling {
  rfilename?: unknown;
  size?: unknown;
  blobId?: unknown;
  lfs?: { sha256?: unknown; size?: unknown } | null;
}

/** The listing's JSON checked: a 40-hex commit, safe file names, byte counts, hex hashes. */
export function parseListing(id: string, body: unknown): Listing {
  const b = (body ?? {}) as { sha?: unknown; siblings?: unknown };
  if (typeof b.sha !== "string" || !COMMIT.test(b.sha)) {
    throw refused(
      `the Hub's listing of ${id} gives ${JSON.stringify(b.sha ?? null)} as its commit, where a commit is 40 hex digits`,
    );
  }
  if (!Array.isArray(b.siblings)) throw refused(`the Hub's listing of ${id} has no list of files (siblings)`);
  const files = new Map<string, ListedFile>();
  for (const s of b.siblings as Sibling[]) {
    const name = s?.rfilename;
    const why = typeof name === "string" ? unsafeName(name) : "it is not a string";
    if (why || typeof name !== "string") {
      throw refused(`the Hub's listing of ${id} names the file ${JSON.stringify(name)}, which is refused: ${why}`);
    }
    const size = byteCount(s.lfs?.size ?? s.size, id, name);
    const sha256 = hex(s.lfs?.sha256, /^[0-9a-f]{64}$/, id, name, "sha256");
    const blobId = hex(s.blobId, /^[0-9a-f]{40}$/, id, name, "blobId");
    files.set(name, { size, sha256, blobId });
  }
  return { commit: b.sha, files };
}

function byteCount(v: unknown, id: string, name: string): number | undefined {
  if (v == null) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    throw refused(
      `the Hub's listing of ${id} gives ${JSON.stringify(v)} as the size of ${name}, which is not a byte count`,
    );
  return v;
}

function hex(v: unknown, form: RegExp, id: string, name: string, field: string): string | undefined {
  if (v == null) return undefined;
  if (typeof v !== "string" || !form.test(v))
    throw refused(`the Hub's listing of ${id} gives ${JSON.stringify(v)} as the ${field} of ${name}, which is not hex`);
  return v;
}

export async function fetchListing(
  endpoint: string,
  id: string,
  revision: string,
  headers: Record<string, string>,
  timeoutMs?: number,
): Promise<Listing> {
  const url = `${endpoint}/api/models/${id}/revision/${encodeURIComponent(revision)}?blobs=true`;
  const { res, stop } = await request(url, headers, id, timeoutMs);
  let body: unknown;
  try {
    if (!res.ok) throw httpError(res.status, `model ${id}`, url);
    // A listing is kilobytes; a server that streams on and on here is not a Hub.
    body = JSON.parse(await readText(res, 64 * 2 ** 20, `the Hub's listing of ${id}`));
  } catch (e) {
    if (e instanceof AttnlensError) throw e;
    throw refused(`the Hub's listing of ${id} (${url}) is not JSON (${(e as Error).message})`);
  } finally {
    stop();
  }
  return parseListing(id, body);
}
