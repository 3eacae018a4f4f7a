/** What a fuzz case may end in besides success: an AttnlensError with one of the documented codes. */
import { AttnlensError, type ErrorCode } from "../../src/errors";
import { OnnxFormatError } from "../../src/graph/onnx/decode";

const CODES = new Set<string>([
  "BAD_MODEL",
  "NO_ATTENTION",
  "BAD_FEEDS",
  "BAD_PROVIDER",
  "NO_PROVIDER",
  "RUN_FAILED",
  "TOO_LARGE",
  "BAD_INPUT",
  "MISSING_FILES",
  "NOT_FOUND",
  "NETWORK",
  "BAD_TOKENIZER",
  "TOO_LONG",
] satisfies ErrorCode[]);

export function isKnownError(e: unknown): boolean {
  return (e instanceof AttnlensError && CODES.has(e.code)) || e instanceof OnnxFormatError;
}
