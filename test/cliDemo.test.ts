/**
 * The README's main job (`npm start` = `attnlens demo`): the bundled agreement model on the seed
 * sentence gives a report file and a text summary whose probe finds the documented pronoun head.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { attnlens } from "./cliRunner";

describe("attnlens demo", () => {
  it("writes the report and prints focused heads, pattern counts and the pronoun probe", () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "attnlens-demo-")), "demo.html");
    const r = attnlens("demo", "--out", out, "--providers", "cpu");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /tokens: \[CLS\] the animal didn ' t cross the street because it was too tired \. \[SEP\]/,
    );
    expect(r.stdout).toMatch(
      /most focused heads \(lowest mean entropy, nats\):\n {2}encoder\.self\.\d head \d: \d\.\d{3}/,
    );
    expect(r.stdout).toMatch(/patterns: \w+ \d+/);
    // The model card documents encoder layer 3 head 3 as the animate-antecedent head.
    expect(r.stdout).toMatch(
      /from "it" to "animal" > to "street": \d+ of 16 heads:\n {2}encoder\.self\.3 head 3: 0\.9\d\d/,
    );
    expect(r.stdout).toContain(`report: ${out}`);
    expect(r.stdout).toMatch(/notebooks: .*setup-jupyter/);
    expect(existsSync(out)).toBe(true);
    const html = readFileSync(out, "utf8");
    expect(html).toContain("tiny-agreement-bert: The animal didn&#39;t cross the street");
    expect(html).toMatch(/"site":"encoder\.self\.3","head":3|"layer":3,"head":3/);
  });
});
