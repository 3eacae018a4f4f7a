/** Per-head rates over sentences: in how many of them a probe's rule holds, with a Wilson interval. */
import { wilson } from "./stats";
import type { ProbeHeadRate, ProbeMatch } from "./types";

/** One evaluated head of one sentence and whether the rule held there. */
export interface HeadOutcome {
  match: Pick<ProbeMatch, "site" | "layer" | "head" | "weight" | "other">;
  holds: boolean;
}

/** Groups outcomes by site and head; highest fraction first, then highest mean weight. */
export function headRates(outcomes: HeadOutcome[]): ProbeHeadRate[] {
  const groups = new Map<string, HeadOutcome[]>();
  for (const o of outcomes) {
    const key = `${o.match.site}\u0000${o.match.head}`;
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  const rates = [...groups.values()].map((list): ProbeHeadRate => {
    const { site, layer, head } = list[0].match;
    const holds = list.filter((o) => o.holds).length;
    const total = list.length;
    const mean = (f: (o: HeadOutcome) => number) => list.reduce((s, o) => s + f(o), 0) / total;
    const withOther = list[0].match.other !== null;
    return {
      site,
      layer,
      head,
      holds,
      total,
      fraction: holds / total,
      ...wilson(holds, total),
      meanWeight: mean((o) => o.match.weight),
      meanOther: withOther ? mean((o) => o.match.other ?? 0) : null,
    };
  });
  return rates.sort((a, b) => b.fraction - a.fraction || b.meanWeight - a.meanWeight);
}
