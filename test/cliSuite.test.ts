/**
 * `attnlens suite` as a user runs it (built CLI, child process) on the bundled tiny-agreement-bert:
 * the ready pronoun suite finds the class-specific pronoun heads its model card documents (measured
 * in torch: layer 3 head 3 for animate antecedents, layer 1 head 3 for inanimate ones), its JSON is
 * the library's table, the report carries the heatmap inline; a user's cases file with hostile group
 * names stays text; wrong input exits non-zero with one line naming the problem and writes nothing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attnlens } from "./cliRunner";
import { ensureBuilt } from "./jupyter/setup";

const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-cli-suite-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => ensureBuilt("kernel-lib", "widgets"));

interface HeadRow {
  site: string;
  head: number;
  holds: number;
  total: number;
  pAdjusted: number;
}
interface TableJson {
  suite: string;
  groups: { group: string; sentences: number; heads: HeadRow[] }[];
}

describe("attnlens suite", () => {
  it("the pronoun suite: the documented class heads hold in every sentence, significant after Holm; JSON and report", async () => {
    const json = path.join(tmp, "pronoun.json");
    const report = path.join(tmp, "pronoun.html");
    const r = attnlens(
      "suite",
      "tiny-agreement-bert",
      "--suite",
      "pronoun",
      "--json",
      json,
      "-o",
      report,
      "--providers",
      "cpu",
    );
    expect(r.stderr).toContain(`attnlens suite: wrote ${report}`);
    expect(r.code).toBe(0);
    const table = JSON.parse(readFileSync(json, "utf8")) as TableJson;
    const head = (group: RegExp, site: string, h: number) =>
      table.groups.find((g) => group.test(g.group))?.heads.find((x) => x.site === site && x.head === h);
    for (const [group, site] of [
      [/animate antecedent/, "encoder.self.3"],
      [/inanimate antecedent/, "encoder.self.1"],
    ] as const) {
      const row = head(group, site, 3);
      expect(row, `${group} ${site} h3`).toMatchObject({ holds: 10, total: 10 });
      expect(row?.pAdjusted).toBeLessThan(0.05);
      expect(r.stdout).toMatch(new RegExp(`${site.replace(/\./g, "\\.")} h3 +10/10`));
    }
    // the printed table is the JSON's: every head line's holds/total is a row of its group
    const printed = [...r.stdout.matchAll(/^ {4}(encoder\.self\.\d) h(\d+) +(\d+)\/(\d+)/gm)];
    expect(printed.length).toBe(16); // 8 shown per group, two groups
    for (const m of printed) {
      const rows = table.groups.flatMap((g) => g.heads).filter((x) => x.site === m[1] && x.head === Number(m[2]));
      expect(rows.some((x) => x.holds === Number(m[3]) && x.total === Number(m[4]))).toBe(true);
    }
    // the library, run in this process on the same suite, gives the same table
    const lib = require(path.join(__dirname, "..", "kernel-lib")) as typeof import("../kernel-lib/src");
    const model = await lib.loadModel("tiny-agreement-bert", { providers: ["cpu"] });
    const direct = await lib.runProbeSuite(model, lib.pronounSuite());
    await model.release();
    expect(JSON.parse(JSON.stringify({ suite: direct.suite, margin: direct.margin, groups: direct.groups }))).toEqual(
      table,
    );
    const html = readFileSync(report, "utf8");
    expect(html).toMatch(/<figure class="attnlens-suite-view"[^>]*><svg/);
  }, 120_000);

  it("a user's cases file: hostile group names are text in the report, the table counts each group's sentences", () => {
    const hostile = '<img src=x onerror="alert(1)">';
    const cases = path.join(tmp, "mine.jsonl");
    const lines = [
      { group: hostile, text: "The dog near the cars is hungry.", from: "is", to: "dog", other: "cars" },
      { group: hostile, text: "The boy behind the boxes was here.", from: "was", to: "boy", other: "boxes" },
      { group: "plural", text: "The dogs near the car are hungry.", from: "are", to: "dogs", other: "car" },
      {
        text: "The cats beside the table have arrived.",
        from: { word: "have", occurrence: 1 },
        to: "cats",
        other: "table",
      },
    ];
    writeFileSync(cases, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n\n`);
    const report = path.join(tmp, "mine.html");
    const json = path.join(tmp, "mine.json");
    const r = attnlens(
      "suite",
      "tiny-agreement-bert",
      "--cases",
      cases,
      "-o",
      report,
      "--json",
      json,
      "--providers",
      "cpu",
    );
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const table = JSON.parse(readFileSync(json, "utf8")) as TableJson;
    expect(table.suite).toBe("mine.jsonl");
    expect(table.groups.map((g) => [g.group, g.sentences])).toEqual([
      [hostile, 2],
      ["plural", 1],
      ["cases", 1],
    ]);
    const html = readFileSync(report, "utf8");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;img src=x");
  }, 120_000);

  it("wrong input: one line naming the problem, a non-zero exit, nothing written", () => {
    const report = path.join(tmp, "never.html");
    const badCases = path.join(tmp, "bad.jsonl");
    writeFileSync(
      badCases,
      '{"group": "g", "text": "The dog is here.", "from": "is", "to": "dog", "other": "here"}\n{"text": "x", "from": 1.5}\n',
    );
    const runs = [
      { args: ["--suite", "nope"], code: 2, message: /--suite must be one of agreement, pronoun, not "nope"/ },
      { args: [], code: 2, message: /give one suite: --suite agreement\|pronoun or --cases FILE\.jsonl/ },
      { args: ["--suite", "pronoun", "--cases", badCases], code: 2, message: /give one suite/ },
      { args: ["--cases", badCases], code: 1, message: /bad\.jsonl line 2: "from" must be a word, a token index/ },
      { args: ["--cases", path.join(tmp, "missing.jsonl")], code: 1, message: /cannot read the cases file/ },
      {
        args: ["--suite", "pronoun", "--margin", "2"],
        code: 2,
        message: /--margin takes chance or a number in \[0, 1\), not 2/,
      },
    ];
    for (const run of runs) {
      const r = attnlens("suite", "tiny-agreement-bert", ...run.args, "-o", report, "--providers", "cpu");
      expect(r.code, run.args.join(" ")).toBe(run.code);
      expect(r.stderr).toMatch(run.message);
      expect(r.stdout).toBe("");
      expect(existsSync(report)).toBe(false);
    }
  }, 120_000);
});
