/** Download progress on stderr for large files: a self-updating line on a terminal, a line per 10 % otherwise. */
import type { DownloadProgress } from "./download";

const LARGE = 10 * 1024 * 1024;
const mb = (n: number) => (n / (1024 * 1024)).toFixed(1);

export function progressReporter(
  write: (s: string) => void = (s) => process.stderr.write(s),
  tty = !!process.stderr.isTTY,
) {
  const shown = new Map<string, number>();
  return (p: DownloadProgress): void => {
    if ((p.total ?? p.loaded) < LARGE) return;
    const pct = p.total ? Math.floor((100 * p.loaded) / p.total) : 0;
    const line = `attnlens: downloading ${p.file} ${mb(p.loaded)}${p.total ? `/${mb(p.total)}` : ""} MB${p.total ? ` (${pct}%)` : ""}`;
    // A terminal line is redrawn at each new percent; a log gets a line per 10 %.
    const step = tty ? pct : Math.floor(pct / 10);
    if (p.done || step > (shown.get(p.file) ?? -1)) {
      shown.set(p.file, step);
      write(tty ? `\r${line}${p.done ? "\n" : ""}` : `${line}\n`);
    }
  };
}
