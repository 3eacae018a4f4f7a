/**
 * The cases of a user's probe suite, one JSON object per line of a .jsonl file:
 * {"group": "...", "text": "...", "from": W, "to": W, "other": W}, where W is a word ("it"), a
 * token index (3) or {"word": "the", "occurrence": 2}. The file is the user's: every field is
 * checked and a wrong line is named by its number, before any sentence runs.
 */
import { readFileSync } from "node:fs";
import type { TokenSelector } from "../analysis/probes/select";
import type { ProbeSuite, SuiteCase } from "../analysis/probes/suites";
import { AttnlensError } from "../errors";

function bad(file: string, line: number, what: string): never {
  throw new AttnlensError(
    "BAD_INPUT",
    `${file} line ${line}: ${what}; a case is {"group": "...", "text": "...", "from": "it", "to": "animal", "other": "street"}`,
  );
}

function selector(file: string, line: number, field: string, v: unknown): TokenSelector {
  if (typeof v === "string" && v.length > 0) return v;
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
  const o = v as { word?: unknown; occurrence?: unknown } | null;
  if (
    o &&
    typeof o === "object" &&
    typeof o.word === "string" &&
    Number.isInteger(o.occurrence) &&
    Number(o.occurrence) >= 1
  )
    return { word: o.word, occurrence: Number(o.occurrence) };
  return bad(file, line, `"${field}" must be a word, a token index or {"word": ..., "occurrence": n ≥ 1}`);
}

/** Reads a suite file (name: the file's base name, unless given). */
export function readSuiteCases(file: string, name: string): ProbeSuite {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new AttnlensError("BAD_INPUT", `cannot read the cases file ${file}: ${(e as Error).message}`);
  }
  const cases: SuiteCase[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(raw);
    } catch {
      bad(file, line, "is not JSON");
    }
    if (!j || typeof j !== "object" || Array.isArray(j)) bad(file, line, "is not a JSON object");
    if (typeof j.text !== "string" || j.text.trim() === "") bad(file, line, '"text" must be a non-empty string');
    if (j.group !== undefined && typeof j.group !== "string") bad(file, line, '"group" must be a string');
    cases.push({
      group: (j.group as string | undefined) ?? "cases",
      text: j.text as string,
      from: selector(file, line, "from", j.from),
      to: selector(file, line, "to", j.to),
      other: selector(file, line, "other", j.other),
    });
  });
  if (cases.length === 0) throw new AttnlensError("BAD_INPUT", `${file} has no cases (one JSON object per line)`);
  return { name, cases };
}
