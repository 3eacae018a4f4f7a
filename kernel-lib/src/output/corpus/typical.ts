/**
 * Which inputs are most and least typical of a head. An input's score for a head is the mean, over
 * the typicality metrics the head has (std > 0 and a value for this input), of its squared z-score
 * ((x − mean) / std)², with the head's corpus mean and std from summary.json: 0 = exactly the head's
 * average behaviour, large = far from it on some metric. Per head only the K lowest and K highest
 * scores are kept, so memory stays flat whatever the corpus size.
 */
import type { CorpusSite } from "@attnlens/widgets";

/** Metrics the score combines (those present in the run). */
export const TYPICALITY_METRICS = ["entropy", "distance", "confidence", "sink"] as const;

/** One line of DIR/inputs.jsonl: an input's per-head values (`null`: undefined for this input). */
export interface CorpusInputRow {
  input: number;
  text: string;
  values: Record<string, Record<string, (number | null)[]>>;
}

type Kept = [input: number, score: number];

/** Inserts into a list kept sorted by `better` first, at most k long. */
function keep(list: Kept[], item: Kept, k: number, better: (a: number, b: number) => boolean): void {
  if (list.length === k && !better(item[1], list[k - 1][1])) return;
  let i = list.length;
  while (i > 0 && better(item[1], list[i - 1][1])) i--;
  list.splice(i, 0, item);
  if (list.length > k) list.pop();
}

export class TypicalInputs {
  readonly metrics: string[];
  private readonly lists: Map<string, { typical: Kept[]; atypical: Kept[] }[]>;

  constructor(
    private readonly sites: CorpusSite[],
    metrics: readonly string[],
    private readonly perHead: number,
  ) {
    this.metrics = TYPICALITY_METRICS.filter((m) => metrics.includes(m));
    this.lists = new Map(
      sites.map((s) => [
        s.id,
        Array.from({ length: s.heads }, () => ({ typical: [] as Kept[], atypical: [] as Kept[] })),
      ]),
    );
  }

  /** The score of `row` for one head, or null when no metric could be compared. */
  score(row: CorpusInputRow, site: CorpusSite, head: number): number | null {
    const perMetric = Object.hasOwn(row.values, site.id) ? row.values[site.id] : undefined;
    if (!perMetric) return null;
    let sum = 0;
    let used = 0;
    for (const m of this.metrics) {
      const s = site.stats[m]?.[head];
      const x = Object.hasOwn(perMetric, m) ? perMetric[m]?.[head] : undefined;
      if (!s || !(s.std > 0) || typeof x !== "number" || !Number.isFinite(x)) continue;
      sum += ((x - s.mean) / s.std) ** 2;
      used++;
    }
    return used > 0 ? sum / used : null;
  }

  add(row: CorpusInputRow): void {
    if (this.perHead <= 0) return;
    for (const site of this.sites) {
      const heads = this.lists.get(site.id);
      if (!heads) continue;
      for (let h = 0; h < site.heads; h++) {
        const score = this.score(row, site, h);
        if (score === null) continue;
        // Ties go to the earlier input, so the lists do not depend on anything but the file's order.
        keep(heads[h].typical, [row.input, score], this.perHead, (a, b) => a < b);
        keep(heads[h].atypical, [row.input, score], this.perHead, (a, b) => a > b);
      }
    }
  }

  /** Per site id, per head: [input, score] most typical first and least typical first. */
  result(): Map<string, { typical: Kept[]; atypical: Kept[] }[]> {
    return this.lists;
  }

  /** Every input any head kept. */
  chosen(): Set<number> {
    const ids = new Set<number>();
    for (const heads of this.lists.values())
      for (const h of heads) for (const [i] of [...h.typical, ...h.atypical]) ids.add(i);
    return ids;
  }
}
