/** The heatmap tooltip: a DOM box filled with textContent (tokens are data, never markup). */
import type { MatrixView } from "../data/matrix";
import { el } from "./dom";

export interface Tooltip {
  element: HTMLDivElement;
  show(lines: string[], clientX: number, clientY: number): void;
  hide(): void;
}

export function createTooltip(host: HTMLElement): Tooltip {
  const element = el("div", "attnlens-tooltip");
  element.setAttribute("role", "tooltip");
  host.append(element);
  return {
    element,
    show(lines, x, y) {
      element.textContent = lines.join("\n");
      const box = host.getBoundingClientRect();
      element.style.left = `${x - box.left + 14}px`;
      element.style.top = `${y - box.top + 14}px`;
      element.style.display = "block";
    },
    hide() {
      element.style.display = "none";
    },
  };
}

/** Exact decoded value, to 6 significant digits. */
export function formatWeight(v: number): string {
  return String(Number(v.toPrecision(6)));
}

function tokenLine(kind: string, labels: MatrixView["rows"], i: number): string {
  const pos = labels.positions[i];
  const span = labels.bin > 1 ? `${pos}–${pos + labels.bin - 1}` : String(pos);
  return `${kind} [${span}]: ${labels.labels[i]}`;
}

/** Tooltip lines for cell (r, c): both tokens with their positions, and the value. */
export function cellLines(m: MatrixView, r: number, c: number): string[] {
  return [
    tokenLine("target", m.rows, r),
    tokenLine("source", m.cols, c),
    `${m.measure}: ${formatWeight(m.values[r * m.C + c])}`,
  ];
}
