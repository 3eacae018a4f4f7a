/**
 * The Jupyter wire format (jupyter_client messaging, "The Wire Protocol"): routing identities, the
 * `<IDS|MSG>` delimiter, an HMAC-SHA256 signature, four JSON frames, then raw binary buffers. tslab
 * signs its own messages but JSON-encodes every extra frame, which breaks binary buffers; comm
 * messages are therefore parsed and signed here.
 */
import { createHmac, randomUUID } from "node:crypto";

const DELIMITER = Buffer.from("<IDS|MSG>");

export interface WireMessage {
  identities: Buffer[];
  header: Record<string, unknown>;
  parent: Record<string, unknown>;
  metadata: Record<string, unknown>;
  content: unknown;
  buffers: Buffer[];
  /** Bytes of the content frame plus the buffers. */
  bytes: number;
}

function sign(key: string, frames: readonly (Buffer | string)[]): string {
  if (key === "") return "";
  const hmac = createHmac("sha256", key);
  for (const f of frames) hmac.update(f);
  return hmac.digest("hex");
}

/** The msg_type in a raw message's header frame, without verifying it (to route before parsing). */
export function peekMessageType(frames: readonly Buffer[]): string | null {
  const at = frames.findIndex((f) => f.equals(DELIMITER));
  if (at < 0 || frames.length < at + 6) return null;
  try {
    const header = JSON.parse(frames[at + 2].toString("utf8"));
    return typeof header?.msg_type === "string" ? header.msg_type : null;
  } catch {
    return null;
  }
}

/** Parses and verifies a raw message; throws on a bad signature or malformed frames. */
export function parseMessage(key: string, frames: readonly Buffer[]): WireMessage {
  const at = frames.findIndex((f) => f.equals(DELIMITER));
  if (at < 0 || frames.length < at + 6) throw new Error("malformed message (no delimiter or missing frames)");
  const parts = frames.slice(at + 2);
  const expected = sign(key, parts.slice(0, 4));
  if (frames[at + 1].toString("utf8") !== expected) throw new Error("message signature does not match");
  const json = (i: number) => JSON.parse(parts[i].toString("utf8"));
  const buffers = parts.slice(4).map((b) => Buffer.from(b));
  return {
    identities: frames.slice(0, at).map((b) => Buffer.from(b)),
    header: json(0),
    parent: json(1),
    metadata: json(2),
    content: json(3),
    buffers,
    bytes: parts[3].length + buffers.reduce((n, b) => n + b.length, 0),
  };
}

/** A fresh header for a message the kernel sends. */
export function newHeader(msgType: string, session: string): Record<string, unknown> {
  return {
    msg_id: randomUUID().replace(/-/g, ""),
    msg_type: msgType,
    session,
    username: "kernel",
    date: new Date().toISOString(),
    version: "5.3",
  };
}

/** Frames for one signed message: identities, delimiter, signature, JSON frames, buffers as they are. */
export function encodeMessage(
  key: string,
  identities: readonly Buffer[],
  header: Record<string, unknown>,
  parent: Record<string, unknown>,
  metadata: Record<string, unknown>,
  content: unknown,
  buffers: readonly Uint8Array[] = [],
): Buffer[] {
  const json = [header, parent, metadata, content].map((v) => Buffer.from(JSON.stringify(v), "utf8"));
  return [
    ...identities,
    DELIMITER,
    Buffer.from(sign(key, json)),
    ...json,
    ...buffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
  ];
}
