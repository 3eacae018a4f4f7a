import { describe, expect, it } from "vitest";
import { agreementSuite, pronounSuite } from "./suites";

const words = (text: string) => text.toLowerCase().match(/[a-z]+/g) ?? [];

describe("ready probe suites", () => {
  it("agreement: the verb agrees with the subject, whose number differs from the attractor's", () => {
    const { cases } = agreementSuite();
    expect(cases).toHaveLength(36);
    const plural = new Set(["are", "were", "have"]);
    for (const c of cases) {
      const w = words(c.text);
      for (const x of [c.from, c.to, c.other])
        expect(
          w.filter((y) => y === x),
          c.text,
        ).toHaveLength(1);
      const subjectPlural = String(c.to).endsWith("s");
      expect(plural.has(String(c.from)), c.text).toBe(subjectPlural);
      expect(String(c.other).endsWith("s"), c.text).toBe(!subjectPlural);
      expect(w.indexOf(String(c.to))).toBeLessThan(w.indexOf(String(c.other)));
      expect(w.indexOf(String(c.other))).toBeLessThan(w.indexOf(String(c.from)));
    }
  });

  it("pronoun pairs: one adjective swaps the antecedent, the words are otherwise the same", () => {
    const { cases } = pronounSuite();
    expect(cases).toHaveLength(20);
    for (let i = 0; i < cases.length; i += 2) {
      const [a, b] = [cases[i], cases[i + 1]];
      expect([a.to, a.other]).toEqual([b.other, b.to]);
      expect(words(a.text).slice(0, -1)).toEqual(words(b.text).slice(0, -1));
      expect(words(a.text).filter((w) => w === "it")).toHaveLength(1);
    }
  });
});
