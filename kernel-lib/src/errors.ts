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
  | "BAD_INPUT"
  /** A model directory or Hub repository lacks a file attnlens needs (the message lists what was looked for). */
  | "MISSING_FILES"
  /** A Hub id that does not exist (or is private). */
  | "NOT_FOUND"
  /** The Hub could not be reached, or the offline cache does not hold the model. */
  | "NETWORK"
  /**
   * The Hub's answer was refused as unsafe or inconsistent: a file name that would land outside the
   * cache, a malformed commit, more bytes than declared, another commit than asked for, a hash mismatch.
   */
  | "HUB_REFUSED"
  /** tokenizer.json is unreadable or does not belong to the model (ids beyond its embedding). */
  | "BAD_TOKENIZER"
  /** The text has more tokens than the model has positions (see the `truncate` option). */
  | "TOO_LONG";

/**
 * The one error type of bad input and unmet requirements: `code` is stable (for programs), `message` is one
 * actionable line (for people).
 */
export class AttnlensError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AttnlensError";
  }
}
