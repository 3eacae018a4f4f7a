/**
 * The Hugging Face cache, laid out exactly as Python's huggingface_hub lays it out, so that either
 * client uses what the other downloaded:
 *
 *   <cache>/models--owner--name/
 *     blobs/<sha256 of an LFS file, or git blob sha1>      the bytes, named by their hash
 *     snapshots/<commit>/<path in the repo>                relative symlinks into blobs/ (copies where
 *                                                          symlinks fail)
 *     refs/<revision>                                      the commit a branch or tag pointed at
 *
 * Every name that comes from the Hub (repo id, revision, commit, file path, blob hash) is checked
 * here before a path is made from it: a hostile listing must never place a file outside the cache.
 */
import {
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AttnlensError } from "../../errors";

/** The cache directory: the option, else $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function hubCacheDir(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (option) return option;
  // The same order as huggingface_hub's constants.py (HUGGINGFACE_HUB_CACHE and XDG_CACHE_HOME are its legacy/XDG forms).
  const home = env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "huggingface");
  return env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE || path.join(home, "hub");
}

/** A refused answer or name: what was wrong, and that nothing was written. */
export function refused(what: string): AttnlensError {
  return new AttnlensError(
    "HUB_REFUSED",
    `${what}. Nothing was written to the cache; the server is broken or hostile (check the endpoint, HF_ENDPOINT)`,
  );
}

/**
 * Repository ids as the Hub and huggingface_hub accept them: `owner/name` (or a bare legacy
 * `name`), letters, digits, `-`, `_`, `.`, at most 96 characters a part, no `--` or `..`.
 */
export function checkRepoId(id: string): void {
  const part = "\\w(?:[\\w.-]{0,94}\\w)?"; // huggingface_hub: \b[\w.-]+\b, so both ends are word characters
  if (!new RegExp(`^(${part}/)?${part}$`).test(id) || id.includes("--") || id.includes("..") || id.endsWith(".git")) {
    throw new AttnlensError(
      "BAD_INPUT",
      `${JSON.stringify(id)} is not a Hub model id: use owner/name with letters, digits, "-", "_" and "." ` +
        '(no "--" or "..", at most 96 characters a part)',
    );
  }
}

/** A branch, tag or commit name; refs/pr/1 style names keep their slashes (as huggingface_hub does). */
export function checkRevision(revision: string): void {
  const segments = revision.split("/");
  if (!/^[\w.\-/]{1,200}$/.test(revision) || segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new AttnlensError(
      "BAD_INPUT",
      `${JSON.stringify(revision)} is not a revision: give a branch, tag or commit name (letters, digits, "-", "_", ".", "/")`,
    );
  }
}

export const COMMIT = /^[0-9a-f]{40}$/;
/** A blob's name: the sha256 of an LFS file (64 hex) or the git blob sha1 of a small file (40 hex). */
export const BLOB = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * A path inside the repository that is safe to join onto a directory on any OS: `/`-separated,
 * no empty, `.` or `..` segment, no absolute or drive path, no backslash, no NUL or control character.
 */
export function unsafeName(name: string): string | null {
  if (typeof name !== "string" || name === "") return "it is empty";
  if ([...name].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127))
    return "it holds a control character (NUL, newline, …)";
  if (name.includes("\\")) return "it holds a backslash";
  if (name.startsWith("/")) return "it is an absolute path";
  if (/^[A-Za-z]:/.test(name) || name.split("/").some((s) => /^[A-Za-z]:/.test(s))) return "it names a drive";
  const segments = name.split("/");
  if (segments.includes("..")) return 'it climbs out with ".."';
  if (segments.some((s) => s === "" || s === ".")) return "it has an empty or '.' segment";
  if (name.length > 1000) return "it is over 1000 characters long";
  return null;
}

export function checkName(name: string, where: string): void {
  const why = unsafeName(name);
  if (why) throw refused(`${where} names the file ${JSON.stringify(name)}, which is refused: ${why}`);
}

/** The paths of one repository in the cache. */
export class RepoCache {
  readonly root: string;
  constructor(
    readonly cacheDir: string,
    readonly id: string,
  ) {
    checkRepoId(id);
    this.root = path.join(cacheDir, `models--${id.split("/").join("--")}`);
  }

  blob(hash: string): string {
    if (!BLOB.test(hash)) throw refused(`the Hub gave ${JSON.stringify(hash)} as a file's hash, which is not hex`);
    return path.join(this.root, "blobs", hash);
  }

  snapshot(commit: string): string {
    if (!COMMIT.test(commit)) {
      throw refused(`the Hub gave ${JSON.stringify(commit)} as the commit of ${this.id}: a commit is 40 hex digits`);
    }
    return path.join(this.root, "snapshots", commit);
  }

  /** The file of the repository in a snapshot (the name is checked). */
  pointer(commit: string, name: string): string {
    checkName(name, `the listing of ${this.id}`);
    return path.join(this.snapshot(commit), ...name.split("/"));
  }

  /** The commit that `revision` names in the cache: itself if it is a commit, else refs/<revision>. */
  cachedCommit(revision: string): string | null {
    if (COMMIT.test(revision)) return revision;
    const ref = path.join(this.root, "refs", ...revision.split("/"));
    if (!existsSync(ref) || !statSync(ref).isFile()) return null;
    const commit = readFileSync(ref, "utf8").trim();
    return COMMIT.test(commit) ? commit : null;
  }

  /** refs/<revision> ← commit, written whole (temp file + rename); a commit names itself, no ref. */
  writeRef(revision: string, commit: string): void {
    if (revision === commit) return;
    const ref = path.join(this.root, "refs", ...revision.split("/"));
    mkdirSync(path.dirname(ref), { recursive: true });
    const tmp = `${ref}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, commit);
      renameSync(tmp, ref);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /**
   * snapshots/<commit>/<name> → ../../blobs/<hash>: a relative symlink, as huggingface_hub makes it
   * (so the cache can move), or with `hard` a hard link (external data, see asHardLink).
   */
  link(commit: string, name: string, hash: string, hard = false): string {
    const dest = this.pointer(commit, name);
    const blob = this.blob(hash);
    mkdirSync(path.dirname(dest), { recursive: true });
    placeBlob(blob, dest, hard ? "hard" : "symlink");
    return dest;
  }

  /**
   * An external-data file of a snapshot as a hard link to its blob (a copy where hard links fail)
   * instead of a symlink: onnxruntime refuses external data whose real path lies outside the
   * model's folder, which a symlink into blobs/ does. huggingface_hub reads such a file as it
   * reads its own copies (made where symlinks are not allowed).
   */
  asHardLink(file: string): void {
    if (!lstatSync(file).isSymbolicLink()) return;
    const target = realpathSync(file);
    if (!target.startsWith(realpathSync(path.join(this.root, "blobs")) + path.sep)) {
      throw refused(`${file} links outside the cache's blobs/ (to ${target})`);
    }
    placeBlob(target, file, "hard");
  }
}

/**
 * `dest` as a link to `blob` (relative symlink, or hard link), or a copy where links fail (Windows
 * without developer mode, file systems without hard links), as huggingface_hub falls back. Made
 * under a temporary name and renamed, so it appears whole or not at all.
 */
function placeBlob(blob: string, dest: string, kind: "symlink" | "hard"): void {
  const tmp = `${dest}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  try {
    try {
      if (kind === "hard") linkSync(blob, tmp);
      else symlinkSync(path.relative(path.dirname(dest), blob), tmp);
    } catch {
      rmSync(tmp, { force: true });
      copyFileSync(blob, tmp);
    }
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { force: true });
  }
}
