/**
 * Replay sessions: one small onnxruntime session per distinct score chain, on the model's
 * provider. Chains are written with canonical names (graph/lazy/capture.ts), so the layers of a
 * model whose chains differ only in the values they are fed share one session.
 */
import { createHash } from "node:crypto";
import type * as ort from "onnxruntime-node";
import type { ProviderName } from "../providers";
import { createSession } from "../session";

export class ReplaySessions {
  private readonly cache = new Map<string, Promise<ort.InferenceSession>>();

  constructor(
    private readonly provider: ProviderName,
    private readonly options: ort.InferenceSession.SessionOptions = {},
  ) {}

  /** The session for a replay model's bytes, created on first use. */
  session(bytes: Uint8Array): Promise<ort.InferenceSession> {
    const key = createHash("sha1").update(bytes).digest("hex");
    let s = this.cache.get(key);
    if (!s) {
      s = createSession(bytes, [this.provider], this.options).then((o) => o.session);
      this.cache.set(key, s);
    }
    return s;
  }

  /** How many distinct sessions exist (one per distinct chain used so far). */
  get size(): number {
    return this.cache.size;
  }

  async release(): Promise<void> {
    const all = [...this.cache.values()];
    this.cache.clear();
    for (const s of all) await (await s).release();
  }
}
