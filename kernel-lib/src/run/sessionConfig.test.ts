/**
 * withSessionConfig: attnlens' session config entries (force_spinning_stop on every session, the
 * weights' folder of a model with external data) go beside the caller's `extra.session` entries;
 * before, the weights' folder replaced the caller's whole `extra.session`.
 */
import { describe, expect, it } from "vitest";
import { withSessionConfig } from "./session";

describe("withSessionConfig", () => {
  it("keeps the caller's entries and other options, and adds its own", () => {
    const options = {
      intraOpNumThreads: 2,
      extra: { session: { "intra_op.allow_spinning": "0" }, optimization: { enable_gelu_approximation: "1" } },
    };
    const merged = withSessionConfig(options, { force_spinning_stop: "1" });
    expect(merged).toEqual({
      intraOpNumThreads: 2,
      extra: {
        session: { "intra_op.allow_spinning": "0", force_spinning_stop: "1" },
        optimization: { enable_gelu_approximation: "1" },
      },
    });
    expect(options.extra.session).toEqual({ "intra_op.allow_spinning": "0" }); // not mutated
  });

  it("leaves a key the caller set to the caller, unless told to override it", () => {
    const caller = { extra: { session: { force_spinning_stop: "0" } } };
    expect(withSessionConfig(caller, { force_spinning_stop: "1" }).extra).toEqual({
      session: { force_spinning_stop: "0" },
    });
    expect(withSessionConfig(caller, { force_spinning_stop: "1" }, true).extra).toEqual({
      session: { force_spinning_stop: "1" },
    });
  });

  it("starts an extra block where the caller gave none", () => {
    expect(withSessionConfig({}, { a: "b" })).toEqual({ extra: { session: { a: "b" } } });
  });
});
