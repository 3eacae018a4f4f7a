/** Awaiting a promise that must fail with an AttnlensError, for the error-path tests. */
import { expect } from "vitest";
import { AttnlensError } from "../src";

export async function failure(p: Promise<unknown>): Promise<AttnlensError> {
  const e = await p.then(
    () => null,
    (err) => err,
  );
  expect(e).toBeInstanceOf(AttnlensError);
  return e as AttnlensError;
}
