/** Creating an onnxruntime session on the first provider that works, remembering why others did not. */
import * as ort from "onnxruntime-node";
import { AttnlensError } from "../errors";
import type { ProviderFallback } from "../result/types";
import { type ProviderName, providerUnavailableReason } from "./providers";

export interface OpenedSession {
  session: ort.InferenceSession;
  provider: ProviderName;
  fallbacks: ProviderFallback[];
}

export type SessionSource = Uint8Array | string;

/**
 * Severity 4 = fatal only. onnxruntime prints its warnings (unused initializers) and its errors
 * (a failed node) straight to the terminal, in red, before attnlens's own one-line message that
 * says the same thing; `sessionOptions.logSeverityLevel` (and `ort.env.logLevel`) bring them back.
 */
const QUIET_LOGS = 4;

/**
 * `options` with `entries` under `extra.session` (onnxruntime's session config keys), beside the
 * caller's: a key the caller set keeps the caller's value unless `override`.
 */
export function withSessionConfig(
  options: ort.InferenceSession.SessionOptions,
  entries: Record<string, string>,
  override = false,
): ort.InferenceSession.SessionOptions {
  const extra = (options.extra ?? {}) as { session?: Record<string, unknown> };
  const session = override ? { ...extra.session, ...entries } : { ...entries, ...extra.session };
  return { ...options, extra: { ...extra, session } };
}

/**
 * onnxruntime's idle pool threads spin for a while after each run, burning a core that the
 * analysis of the run's maps, the widgets and the notebook's kernel could use (measured on 2
 * cores, BERT-base shape at 128 tokens: 40 ms of CPU in the 200 ms after a run, 16 ms with this).
 * With "force_spinning_stop" the pool spins during a run only; the run itself is not slower.
 */
export const STOP_SPINNING_AFTER_RUN = { force_spinning_stop: "1" };

/** onnxruntime's process-wide log level, read once when its first session is created. */
function quietProcessLogs(): void {
  // "warning" is onnxruntime's default: a level the caller chose is left alone.
  if (ort.env.logLevel === "warning") ort.env.logLevel = "fatal";
}

export async function createSession(
  model: SessionSource,
  providers: readonly ProviderName[],
  options: ort.InferenceSession.SessionOptions = {},
  skip: readonly ProviderName[] = [],
): Promise<OpenedSession> {
  const fallbacks: ProviderFallback[] = [];
  quietProcessLogs();
  for (const provider of providers) {
    if (skip.includes(provider)) continue;
    const unavailable = providerUnavailableReason(provider);
    if (unavailable) {
      fallbacks.push({ provider, reason: unavailable });
      continue;
    }
    try {
      const sessionOptions: ort.InferenceSession.SessionOptions = {
        logSeverityLevel: QUIET_LOGS,
        ...withSessionConfig(options, STOP_SPINNING_AFTER_RUN),
        executionProviders: [provider],
      };
      const session =
        typeof model === "string"
          ? await ort.InferenceSession.create(model, sessionOptions)
          : await ort.InferenceSession.create(model, sessionOptions);
      return { session, provider, fallbacks };
    } catch (e) {
      fallbacks.push({ provider, reason: firstLine(e) });
    }
  }
  const tried = fallbacks.map((f) => `  ${f.provider}: ${f.reason}`).join("\n");
  throw new AttnlensError(
    "NO_PROVIDER",
    `no execution provider could run this model:\n${tried}\nadd "cpu" to the providers list to always have a fallback`,
  );
}

export function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (
    msg
      .split("\n")
      .find((l) => l.trim())
      ?.trim() ?? msg
  );
}
