/**
 * Progress of `attnlens corpus`: on a terminal one line redrawn in place (bar, inputs, rate, ETA);
 * otherwise (a log, CI) a plain line every few seconds.
 */
import type { CorpusProgress } from "../corpus/engine/types";

const BAR = 24;
const PLAIN_EVERY_MS = 5000;

export function duration(seconds: number | null): string {
  if (seconds == null || !Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function progressLine(p: CorpusProgress, tty: boolean): string {
  const counts = `${p.done} inputs, ${p.skipped} skipped, ${p.rate.toFixed(1)} inputs/s, ETA ${duration(p.eta)}`;
  if (!tty || p.fraction == null) return p.fraction == null ? counts : `${(100 * p.fraction).toFixed(1)}% ${counts}`;
  const full = Math.round(p.fraction * BAR);
  return `[${"#".repeat(full)}${".".repeat(BAR - full)}] ${(100 * p.fraction).toFixed(0).padStart(3)}% ${counts}`;
}

export class ProgressPrinter {
  private last = 0;
  constructor(private readonly stream: NodeJS.WriteStream) {}

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  update(p: CorpusProgress): void {
    if (this.tty) {
      this.stream.write(`\r${progressLine(p, true)}\x1b[K`);
      return;
    }
    const now = Date.now();
    if (now - this.last >= PLAIN_EVERY_MS) {
      this.last = now;
      this.stream.write(`attnlens corpus: ${progressLine(p, false)}\n`);
    }
  }

  end(): void {
    if (this.tty) this.stream.write("\n");
  }
}
