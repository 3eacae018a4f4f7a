/**
 * Refusing an over-long command line before any session exists: onnxruntime-node recurses over
 * the process's command line when its first session is created and overflows the stack (signal
 * 11, no message) from about 29 KB with Linux's default 8 MiB stack (upstream bug; a smaller
 * `ulimit -s` crashes sooner). Long texts go through files or stdin instead.
 */
import { formatBytes } from "../util/bytes";

/** Half the measured crash point, so a smaller stack limit is covered too. */
export const MAX_ARGV_BYTES = 16 * 1024;

/** Bytes of the command line as the kernel holds it: each argument in UTF-8 plus its NUL. */
export function argvBytes(argv: readonly string[]): number {
  return argv.reduce((sum, a) => sum + Buffer.byteLength(a, "utf8") + 1, 0);
}

/** Why this command line is refused, or null when it is short enough. */
export function argvTooLong(argv: readonly string[] = process.argv, limit = MAX_ARGV_BYTES): string | null {
  const bytes = argvBytes(argv);
  if (bytes <= limit) return null;
  return (
    `the command line is ${formatBytes(bytes)}; onnxruntime crashes on long command lines, so attnlens takes ` +
    `at most ${formatBytes(limit)}: give long texts as files (--text-file FILE, --pair-file FILE, --target-file FILE) or on stdin (--text -)`
  );
}
