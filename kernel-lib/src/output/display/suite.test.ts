/**
 * A probe suite's table as a notebook output and a report section. The expected per-head counts
 * are recounted here from the maps the fake model returned (bidirectional, no padding: a head holds
 * where A[from, to] − A[from, other] > 1 / T), not read back from the table; every name the user
 * controls (suite, group) is hostile markup that must come out escaped.
 */
import { describe, expect, it } from "vitest";
import { runProbeSuite, type SuiteModel } from "../../analysis/probes/runSuite";
import type { ProbeSuite } from "../../analysis/probes/suites";
import type { AttentionResult } from "../../result/types";
import { sampleResult } from "../payload/sample";
import { reportDocument } from "../report/export";
import { suiteBundle } from "./suite";

const HOSTILE = "<img src=x onerror=alert(1)>";
const ESCAPED = "&lt;img src=x onerror=alert(1)&gt;";

const TEXTS = [
  "the dog near the cars is hungry",
  "the boys behind the box are here",
  "a girl beside the tables was sleepy",
  "the cats near a chair were quiet",
  "the farmer behind the cars has arrived",
  "those teachers beside the box have left",
];
const FROM = ["is", "are", "was", "were", "has", "have"];
const TO = ["dog", "boys", "girl", "cats", "farmer", "teachers"];
const OTHER = ["cars", "box", "tables", "chair", "cars", "box"];

const suite: ProbeSuite = {
  name: `suite ${HOSTILE}`,
  cases: TEXTS.map((text, i) => ({
    group: i < 3 ? HOSTILE : "plain group",
    text,
    from: FROM[i],
    to: TO[i],
    other: OTHER[i],
  })),
};

/** Random maps over the sentence's words, a different seed per sentence. */
const runs = new Map<string, AttentionResult>();
const model: SuiteModel = {
  async run(text) {
    const words = text.split(" ");
    const result = sampleResult({
      layers: 2,
      heads: 3,
      tokens: words.length + 2,
      words,
      seed: 11 + TEXTS.indexOf(text),
      patterns: ["random"],
    });
    runs.set(text, result);
    return result;
  },
};

/** Per group, per "site h<head>": sentences where the head holds, recounted from the maps. */
function recount(): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  suite.cases.forEach((c, i) => {
    const result = runs.get(c.text) as AttentionResult;
    const words = c.text.split(" ");
    const at = (w: string) => words.indexOf(w) + 1; // [CLS] first
    const [f, t, o] = [at(FROM[i]), at(TO[i]), at(OTHER[i])];
    const counts = out.get(c.group) ?? new Map<string, number>();
    for (const site of result.sites) {
      const [, H, T, S] = site.dims;
      for (let h = 0; h < H; h++) {
        const row = (h * T + f) * S;
        const holds = site.data[row + t] - site.data[row + o] > 1 / S;
        const key = `${site.id} h${h}`;
        counts.set(key, (counts.get(key) ?? 0) + (holds ? 1 : 0));
      }
    }
    out.set(c.group, counts);
  });
  return out;
}

describe("probe suite display and report", () => {
  it("the bundle has the static heatmap and the recounted per-head numbers, names escaped", async () => {
    const table = await runProbeSuite(model, suite);
    const bundle = await suiteBundle(table, { shown: 100 });
    const svg = bundle.data["image/svg+xml"] as string;
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).not.toContain("<img");
    expect(svg).toContain(ESCAPED); // the hostile group's panel title, as text
    const html = bundle.data["text/html"] as string;
    expect(html).not.toContain("<img");
    expect(html).toContain(ESCAPED);
    const expected = recount();
    let nonzero = 0;
    for (const [group, counts] of expected) {
      const section = html.split("<h3>").find((s) => s.startsWith(group.replace("<", "&lt;").replace(">", "&gt;")));
      expect(section, group).toBeDefined();
      for (const [key, holds] of counts) {
        const [site, head] = key.split(" h");
        expect(section, key).toContain(`<tr><td>${site}</td><td>${head}</td><td>${holds}/3</td>`);
        nonzero += holds;
      }
    }
    expect(nonzero).toBeGreaterThan(0); // the counts are not all zero by accident
    expect(bundle.data["text/plain"]).toBe(String(table));
  });

  it("exportReport's page has the suite section beside a result's, with hostile names escaped", async () => {
    const table = await runProbeSuite(model, suite);
    for (const format of ["standalone", "widget-state"] as const) {
      const page = reportDocument([{ suite: table }, sampleResult({ layers: 1, heads: 2 })], { format });
      expect(page).not.toContain(HOSTILE);
      expect(page).toContain(`<h2>suite ${ESCAPED}</h2>`);
      expect(page).toContain(`<h3>${ESCAPED} · 3 sentences</h3>`);
      expect(page).toContain('<table class="attnlens-suite">');
    }
    const standalone = reportDocument([{ suite: table }, sampleResult({ layers: 1, heads: 2 })]);
    // The result still gets its view; the suite section has none.
    expect(standalone.match(/data-attnlens-payload=/g)).toHaveLength(1);
  });

  it("a value that is not a suite table is refused with what to pass", async () => {
    await expect(suiteBundle({} as never)).rejects.toThrow(/runProbeSuite/);
    expect(() => reportDocument([{ suite: { groups: 1 } as never }])).toThrow(/runProbeSuite/);
  });
});
