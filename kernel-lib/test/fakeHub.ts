/**
 * A Hugging Face Hub stand-in on 127.0.0.1 for download tests (tests never reach the internet). It
 * speaks what both attnlens and Python's huggingface_hub use:
 *
 * - `GET /api/models/<id>[/revision/<rev>][?blobs=true]`: the commit (`sha`) and `siblings`, with
 *   `size`, `blobId` and `lfs: {sha256, size}` when asked for blobs;
 * - `GET|HEAD /<id>/resolve/<rev>/<file>`: a small file answers 200 with ETag = its git blob sha1;
 *   an LFS file (.onnx, external data) answers 302 to `/lfs-cdn/<id>/<sha256>` with X-Linked-Etag and
 *   X-Linked-Size; both carry X-Repo-Commit. Range and If-Range are honoured.
 *
 * Every commit stays resolvable by its sha after a push; faults on demand (a cut connection, a
 * stall, a push mid-download) and hostile edits of the listing or of a file response.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

export interface FakeRepo {
  id: string;
  dir: string;
  /** Files read from `dir`. */
  files: string[];
  /** Files given as bytes (added to, or replacing, those read from dir); any name, for hostile listings. */
  content?: Record<string, Uint8Array | string>;
  /** The head commit of main (default: derived from the id). */
  sha?: string;
  /** Rewrite the listing's JSON body (hostile listings). */
  editListing?: (body: ListingBody) => unknown;
  /** Rewrite a file response: status, headers, and the bytes actually sent (hostile servers). */
  editFile?: (file: string, r: FileResponse) => FileResponse;
}

export interface ListingBody {
  id: string;
  sha: string;
  siblings: { rfilename: string; size?: number; blobId?: string; lfs?: { sha256: string; size: number } }[];
}

export interface FileResponse {
  headers: Record<string, string>;
  body: Buffer;
  /** Send the body chunked, without Content-Length. */
  chunked?: boolean;
}

export interface FakeHub {
  url: string;
  /** Every request: method, path, Range header. */
  log: { method: string; path: string; range?: string; ifRange?: string }[];
  /** Cut the connection after `after` bytes the next `times` times `file` is downloaded. */
  cut(file: string, after: number, times?: number): void;
  /** Send `after` bytes of `file` the next `times` times, then nothing more, keeping the connection open. */
  stall(file: string, after: number, times?: number): void;
  /** A new commit on main: the same files, some with new bytes. Earlier commits stay resolvable. */
  push(id: string, sha: string, content?: Record<string, Uint8Array | string>): void;
  /** Run `hook` once, when the next GET of `file` arrives (before it is answered). */
  onGet(file: string, hook: () => void): void;
  /** The head commit of main. */
  head(id: string): string;
  close(): Promise<void>;
}

const LFS = /\.onnx$|\.onnx_data$|\.onnx\.data$|\.bin$|_data$/;
type Snapshot = Map<string, Buffer>;

export const fakeSha = (seed: string) => createHash("sha1").update(seed).digest("hex");
export const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
export const gitBlobId = (b: Uint8Array) => createHash("sha1").update(`blob ${b.byteLength}\0`).update(b).digest("hex");

export async function startFakeHub(repos: FakeRepo[]): Promise<FakeHub> {
  const cuts = new Map<string, { after: number; times: number; stall?: boolean }>();
  const hooks = new Map<string, () => void>();
  const log: FakeHub["log"] = [];
  const byId = new Map(repos.map((r) => [r.id, r]));
  const commits = new Map<string, Map<string, Snapshot>>(); // id → sha → files
  const heads = new Map<string, string>();
  const lfsBlobs = new Map<string, { bytes: Buffer; name: string; repo: FakeRepo }>(); // "<id>/<sha256>" →
  for (const r of repos) {
    const snap: Snapshot = new Map(r.files.map((f) => [f, readFileSync(path.join(r.dir, f))]));
    for (const [f, b] of Object.entries(r.content ?? {})) snap.set(f, Buffer.from(b));
    const sha = r.sha ?? fakeSha(r.id);
    commits.set(r.id, new Map([[sha, snap]]));
    heads.set(r.id, sha);
    indexLfs(r, snap);
  }
  function indexLfs(r: FakeRepo, snap: Snapshot): void {
    for (const [name, bytes] of snap)
      if (LFS.test(name)) lfsBlobs.set(`${r.id}/${sha256(bytes)}`, { bytes, name, repo: r });
  }
  const resolveRev = (id: string, rev: string) => (rev === "main" ? heads.get(id) : rev);

  const server = createServer((req, res) => {
    const raw = req.url ?? "";
    const [pathname, query = ""] = raw.split("?");
    const url = decodeURIComponent(pathname);
    log.push({ method: req.method ?? "GET", path: url, range: header(req, "range"), ifRange: header(req, "if-range") });
    const api = /^\/api\/models\/([^/]+\/[^/]+)(?:\/revision\/(.+))?$/.exec(url);
    if (api) {
      const repo = byId.get(api[1]);
      const sha = repo && resolveRev(repo.id, api[2] ?? "main");
      const snap = sha ? commits.get(api[1])?.get(sha) : undefined;
      if (!repo || !sha || !snap) return notFound(res);
      return listing(res, repo, sha, snap, /(^|&)blobs=(true|1)/i.test(query));
    }
    const cdn = /^\/lfs-cdn\/([^/]+\/[^/]+)\/([0-9a-f]{64})$/.exec(url);
    if (cdn) {
      const blob = lfsBlobs.get(`${cdn[1]}/${cdn[2]}`);
      if (!blob) return notFound(res);
      return serve(req, res, blob.repo, blob.name, blob.bytes, { ETag: `"${cdn[2]}"` });
    }
    const file = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
    const repo = file ? byId.get(file[1]) : undefined;
    const sha = repo && file ? resolveRev(repo.id, file[2]) : undefined;
    const bytes = file && sha ? commits.get(file[1])?.get(sha)?.get(file[3]) : undefined;
    if (!file || !repo || !sha || !bytes) return notFound(res);
    const name = file[3];
    if (req.method === "GET") {
      const hook = hooks.get(name);
      hooks.delete(name);
      hook?.();
    }
    if (LFS.test(name)) {
      const oid = sha256(bytes);
      const host = `http://${req.headers.host}`;
      const headers: Record<string, string> = {
        Location: `${host}/lfs-cdn/${repo.id}/${oid}`,
        "X-Repo-Commit": sha,
        "X-Linked-Etag": `"${oid}"`,
        "X-Linked-Size": String(bytes.length),
        ETag: `"${gitBlobId(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\n`))}"`,
      };
      const edited = repo.editFile ? repo.editFile(name, { headers, body: Buffer.alloc(0) }).headers : headers;
      res.writeHead(302, { ...edited, "Content-Length": "0" });
      return void res.end();
    }
    serve(req, res, repo, name, bytes, { ETag: `"${gitBlobId(bytes)}"`, "X-Repo-Commit": sha });
  });

  function serve(
    req: IncomingMessage,
    res: ServerResponse,
    repo: FakeRepo,
    name: string,
    bytes: Buffer,
    extra: Record<string, string>,
  ): void {
    const range = /^bytes=(\d+)-$/.exec(header(req, "range") ?? "");
    const ifRange = header(req, "if-range");
    let start = 0;
    if (range && (!ifRange || ifRange === extra.ETag)) start = Number(range[1]);
    if (start > bytes.length) {
      res.writeHead(416, { "Content-Range": `bytes */${bytes.length}` });
      return void res.end();
    }
    const headers: Record<string, string> = { ...extra, "Accept-Ranges": "bytes" };
    if (start > 0) headers["Content-Range"] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
    let r: FileResponse = { headers, body: bytes.subarray(start) };
    if (repo.editFile) r = repo.editFile(name, r);
    if (!r.chunked) r.headers["Content-Length"] ??= String(r.body.length);
    res.writeHead(start > 0 ? 206 : 200, r.headers);
    if (req.method === "HEAD") return void res.end();
    const cut = cuts.get(name);
    if (cut && cut.times > 0) {
      cut.times--;
      // Send part of the body, then drop the connection mid-transfer (or, stalling, go silent).
      res.write(r.body.subarray(0, cut.after), () => cut.stall || setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(r.body);
  }

  function listing(res: ServerResponse, repo: FakeRepo, sha: string, snap: Snapshot, blobs: boolean): void {
    const body: ListingBody = {
      id: repo.id,
      sha,
      siblings: [...snap].map(([rfilename, b]) =>
        !blobs
          ? { rfilename }
          : LFS.test(rfilename)
            ? { rfilename, size: b.length, blobId: gitBlobId(b), lfs: { sha256: sha256(b), size: b.length } }
            : { rfilename, size: b.length, blobId: gitBlobId(b) },
      ),
    };
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(repo.editListing ? repo.editListing(body) : body));
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    cut: (file, after, times = 1) => cuts.set(file, { after, times }),
    stall: (file, after, times = 1) => cuts.set(file, { after, times, stall: true }),
    push: (id, sha, content = {}) => {
      const repo = byId.get(id);
      const prev = commits.get(id)?.get(heads.get(id) ?? "");
      if (!repo || !prev) throw new Error(`no repository ${id}`);
      const snap: Snapshot = new Map(prev);
      for (const [f, b] of Object.entries(content)) snap.set(f, Buffer.from(b));
      commits.get(id)?.set(sha, snap);
      heads.set(id, sha);
      indexLfs(repo, snap);
    },
    onGet: (file, hook) => hooks.set(file, hook),
    head: (id) => heads.get(id) ?? "",
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const header = (req: IncomingMessage, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

function notFound(res: ServerResponse): void {
  res.writeHead(404, { "Content-Type": "application/json", "X-Error-Code": "RepoNotFound" });
  res.end(JSON.stringify({ error: "Repository not found" }));
}
