/**
 * New rows into a dataset of an embedded Vega view. Replacing the rows (`view.data(name, rows)`)
 * removes every mark and creates new SVG elements; rows that line up with the shown ones (same
 * count, same order, as the panels build them for data of the same shape) are instead modified
 * field by field, so Vega only changes the attributes that differ (an image's href, a label's text).
 */
import type { VegaView } from "./embed";

export function swapData(view: VegaView, name: string, rows: readonly object[]): void {
  const shown = view.data(name) as Record<string, unknown>[];
  if (!Array.isArray(shown) || shown.length !== rows.length) {
    view.data(name, [...rows]);
    return;
  }
  const changes = view.changeset();
  let changed = false;
  rows.forEach((row, i) => {
    const tuple = shown[i];
    for (const [field, value] of Object.entries(row)) {
      if (tuple[field] === value) continue;
      changes.modify(tuple, field, value);
      changed = true;
    }
  });
  if (changed) view.change(name, changes);
}
