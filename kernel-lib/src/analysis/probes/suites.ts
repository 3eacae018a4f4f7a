/**
 * Ready-made probe suites: the seed's rule-based checks as templated sentences.
 * - Subject–verb agreement with an attractor of the other number ("The dog near the cars is …"):
 *   the verb should attend to its subject rather than the attractor (Linzen et al. 2016's setting).
 * - Winograd-style pronoun pairs ("… because it was too tired / too wide"): the same sentence with
 *   one adjective changed moves the antecedent; the pronoun should attend to the antecedent
 *   rather than the other noun.
 * Words are plain, frequent English (and within the demo model tiny-agreement-bert's vocabulary).
 */
import type { TokenSelector } from "./select";

/** One sentence of a suite: `from` should attend to `to` more than to `other`. */
export interface SuiteCase {
  /** The kind of case; the suite's table has one section per group. */
  group: string;
  text: string;
  from: TokenSelector;
  to: TokenSelector;
  other: TokenSelector;
}

/** A named list of cases. */
export interface ProbeSuite {
  name: string;
  cases: SuiteCase[];
}

const NOUNS: Array<[string, string]> = [
  ["dog", "dogs"],
  ["boy", "boys"],
  ["girl", "girls"],
  ["teacher", "teachers"],
  ["farmer", "farmers"],
  ["cat", "cats"],
];
const ATTRACTORS: Array<[string, string]> = [
  ["car", "cars"],
  ["box", "boxes"],
  ["chair", "chairs"],
  ["table", "tables"],
];
const PREPOSITIONS = ["near", "behind", "beside"];
const VERBS: Array<[string, string, string]> = [
  ["is", "are", "hungry"],
  ["was", "were", "here"],
  ["has", "have", "arrived"],
];

/** Subject–verb agreement across a prepositional phrase whose noun has the other number (36 sentences). */
export function agreementSuite(): ProbeSuite {
  const cases: SuiteCase[] = [];
  NOUNS.forEach(([one, many], i) => {
    for (const plural of [false, true]) {
      const [a1, aN] = ATTRACTORS[(i + (plural ? 1 : 0)) % ATTRACTORS.length];
      const prep = PREPOSITIONS[i % PREPOSITIONS.length];
      for (const [is, are, rest] of VERBS) {
        const subject = plural ? many : one;
        const attractor = plural ? a1 : aN;
        const verb = plural ? are : is;
        cases.push({
          group: "verb → subject, not the attractor",
          text: `The ${subject} ${prep} the ${attractor} ${verb} ${rest}.`,
          from: verb,
          to: subject,
          other: attractor,
        });
      }
    }
  });
  return { name: "subject–verb agreement with attractors", cases };
}

/** [animate noun, verb, place or thing, adjective for the animate noun, adjective for the thing]. */
const WINOGRAD: Array<[string, string, string, string, string]> = [
  ["animal", "cross", "street", "tired", "wide"],
  ["dog", "cross", "river", "scared", "wide"],
  ["horse", "reach", "hill", "slow", "steep"],
  ["boy", "cross", "road", "sleepy", "busy"],
  ["girl", "enter", "field", "sick", "wet"],
  ["child", "climb", "hill", "weak", "steep"],
  ["cat", "cross", "bridge", "scared", "long"],
  ["farmer", "lift", "rock", "tired", "heavy"],
  ["man", "carry", "box", "weak", "heavy"],
  ["woman", "move", "table", "tired", "big"],
];

/** Winograd-style pairs: "The animal didn't cross the street because it was too tired / too wide" (20 sentences). */
export function pronounSuite(): ProbeSuite {
  const cases: SuiteCase[] = [];
  for (const [animate, verb, thing, tired, wide] of WINOGRAD) {
    const sentence = (adj: string) => `The ${animate} didn't ${verb} the ${thing} because it was too ${adj}.`;
    cases.push(
      { group: "pronoun → animate antecedent", text: sentence(tired), from: "it", to: animate, other: thing },
      { group: "pronoun → inanimate antecedent", text: sentence(wide), from: "it", to: thing, other: animate },
    );
  }
  return { name: "Winograd-style pronoun pairs", cases };
}
