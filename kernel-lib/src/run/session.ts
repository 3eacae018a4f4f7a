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

/** Severity 3 = errors only: onnxruntime's warnings about unused initializers are noise to users. */
const QUIET_LOGS = 3;

export async function createSession(
  model: SessionSource,
  providers: readonly ProviderName[],
  options: ort.InferenceSession.SessionOptions = {},
  skip: readonly ProviderName[] = [],
): Promise<OpenedSession> {
  const fallbacks: ProviderFallback[] = [];
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
