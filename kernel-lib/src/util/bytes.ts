/** Byte counts for people: the largest binary unit that keeps the number ≥ 1, three significant figures. */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** 900 B, 4.00 KiB, 12.5 MiB, 2.05 GiB (1023 KiB, never 1.02e+3 KiB or 1024 KiB). */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  // 1023.5 rather than 1024: a figure that would round up to 1024 moves to the next unit.
  while (value >= 1023.5 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value >= 100 ? value.toFixed(0) : value.toPrecision(3)} ${UNITS[unit]}`;
}
