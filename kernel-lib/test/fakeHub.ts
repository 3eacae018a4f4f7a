/**
 * A Hugging Face Hub stand-in on 127.0.0.1 for download tests (tests never reach the internet):
 * the repository listing API and `resolve` file URLs with ETag, Range and If-Range, plus faults on
 * demand — a connection cut after some bytes, a file whose ETag changed.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

export interface FakeRepo {
  id: string;
  dir: string;
  files: string[];
  /** The commit the listing reports (default 0123abcd). */
  sha?: string;
}

export interface FakeHub {
  url: string;
  /** Every request: method, path, Range header. */
  log: { path: string; range?: string; ifRange?: string }[];
  /** Cut the connection after `after` bytes the next `times` times `file` is downloaded. */
  cut(file: string, after: number, times?: number): void;
  /** Send `after` bytes of `file` the next `times` times, then nothing more, keeping the connection open. */
  stall(file: string, after: number, times?: number): void;
  /** A new commit on the repository. */
  setCommit(id: string, sha: string): void;
  close(): Promise<void>;
}

export async function startFakeHub(repos: FakeRepo[]): Promise<FakeHub> {
  const cuts = new Map<string, { after: number; times: number; stall?: boolean }>();
  const log: FakeHub["log"] = [];
  const byId = new Map(repos.map((r) => [r.id, r]));
  const server = createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? "");
    log.push({ path: url, range: header(req, "range"), ifRange: header(req, "if-range") });
    const api = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(url);
    if (api) return listing(res, byId.get(api[1]));
    const file = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
    const repo = file ? byId.get(file[1]) : undefined;
    if (!file || !repo?.files.includes(file[3])) return notFound(res);
    serveFile(req, res, readFileSync(path.join(repo.dir, file[3])), cuts, file[3]);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    cut: (file, after, times = 1) => cuts.set(file, { after, times }),
    stall: (file, after, times = 1) => cuts.set(file, { after, times, stall: true }),
    setCommit: (id, sha) => {
      const repo = byId.get(id);
      if (repo) repo.sha = sha;
    },
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

export const etagOf = (bytes: Uint8Array) => `"${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}"`;

function listing(res: ServerResponse, repo: FakeRepo | undefined): void {
  if (!repo) {
    notFound(res);
    return;
  }
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(
    JSON.stringify({
      id: repo.id,
      sha: repo.sha ?? "0123abcd",
      siblings: repo.files.map((rfilename) => ({ rfilename })),
    }),
  );
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ error: "Repository not found" }));
}

function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  bytes: Buffer,
  cuts: Map<string, { after: number; times: number; stall?: boolean }>,
  name: string,
): void {
  const etag = etagOf(bytes);
  const range = /^bytes=(\d+)-$/.exec(header(req, "range") ?? "");
  const ifRange = header(req, "if-range");
  let start = 0;
  if (range && (!ifRange || ifRange === etag)) start = Number(range[1]);
  if (start > bytes.length) {
    res.writeHead(416, { "Content-Range": `bytes */${bytes.length}` });
    return void res.end();
  }
  const body = bytes.subarray(start);
  const headers: Record<string, string> = {
    ETag: etag,
    "Accept-Ranges": "bytes",
    "Content-Length": String(body.length),
  };
  if (start > 0) headers["Content-Range"] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
  res.writeHead(start > 0 ? 206 : 200, headers);
  const cut = cuts.get(name);
  if (cut && cut.times > 0) {
    cut.times--;
    // Send part of the body, then drop the connection mid-transfer (or, stalling, go silent).
    res.write(body.subarray(0, cut.after), () => cut.stall || setTimeout(() => res.socket?.destroy(), 20));
    return;
  }
  res.end(body);
}
