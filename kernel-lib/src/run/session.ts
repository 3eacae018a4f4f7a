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
        ...options,
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
