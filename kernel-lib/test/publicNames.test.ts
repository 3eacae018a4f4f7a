/**
 * The public API is a decision: the names `attnlens` and `attnlens/testing` export (values and
 * types) must equal the committed list in kernel-lib/api/public-names.txt.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { expect, it } from "vitest";
import { publicNames } from "./publicNames";

const LIB = path.join(__dirname, "..");
const LIST = path.join(LIB, "api", "public-names.txt");
const UPDATE = "UPDATE_PUBLIC_NAMES=1 npx vitest run kernel-lib/test/publicNames.test.ts";

it("exports exactly the names in kernel-lib/api/public-names.txt", () => {
  const names = publicNames(
    {
      attnlens: path.join(LIB, "src", "index.ts"),
      "attnlens/testing": path.join(LIB, "src", "testing", "index.ts"),
    },
    path.join(LIB, "tsconfig.json"),
  );
  const text = `${names.join("\n")}\n`;
  if (process.env.UPDATE_PUBLIC_NAMES === "1") writeFileSync(LIST, text);
  const committed = readFileSync(LIST, "utf8");
  expect(
    text,
    `The public API changed. If that is intended, run \`${UPDATE}\` and commit kernel-lib/api/public-names.txt.`,
  ).toBe(committed);
}, 60_000);
