/**
 * Errors users can act on. Each has a stable `code` so callers (the CLI, notebooks, the display
 * layer) can react, and a message that says what was wrong and what to do.
 */
export type ErrorCode =
  | "BAD_MODEL"
  | "NO_ATTENTION"
  | "BAD_FEEDS"
  | "BAD_PROVIDER"
  | "NO_PROVIDER"
  | "RUN_FAILED"
  | "TOO_LARGE"
  | "BAD_INPUT";

export class AttnlensError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AttnlensError";
  }
}
