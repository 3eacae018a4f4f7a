/**
 * `attnlens COMMAND --help`, `-h` and `attnlens help COMMAND`: every command prints its own usage
 * and options on stdout and exits 0, whatever else is on the command line.
 */
import { describe, expect, it } from "vitest";
import { commands } from "../kernel-lib/src/cli/commands";
import { attnlens } from "./cliRunner";

/** The `--flags` a usage line names. */
const flagsIn = (text: string) => new Set(text.match(/--[a-z][a-z-]*/g) ?? []);

describe.each(Object.keys(commands))("attnlens %s --help", (name) => {
  it("--help, -h and help COMMAND print the same usage and options, exit 0", () => {
    const long = attnlens(name, "--help");
    expect(long.stderr).toBe("");
    expect(long.code).toBe(0);
    expect(long.stdout.startsWith(`usage: attnlens ${name}`)).toBe(true);
    expect(long.stdout).toContain(`${commands[name].summary}.`);
    expect(long.stdout).toMatch(/\noptions:\n(.*\n)*\s+-h, --help\s+show this help\n$/);
    expect(attnlens(name, "-h")).toEqual(long);
    expect(attnlens("help", name)).toEqual(long);
    // Help wins over arguments that would otherwise be an error (a missing file, an unknown option).
    expect(attnlens(name, "./no-such-model.onnx", "--no-such-option", "--help")).toEqual(long);
  });

  it("describes every option its usage line names", () => {
    expect(commands[name].options).toBeDefined();
    const listed = attnlens(name, "--help").stdout.split("\noptions:\n")[1];
    for (const flag of flagsIn(commands[name].usage)) expect(flagsIn(listed)).toContain(flag);
  });
});

describe("help mistakes", () => {
  it("help for an unknown command is a usage error; arguments after -- are not help", () => {
    const r = attnlens("help", "frobnicate");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^attnlens: error: unknown command "frobnicate"\n/);
    expect(attnlens("help", "constructor").code).toBe(2);
    expect(attnlens("help").code).toBe(0);
    const after = attnlens("models", "--", "--help");
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/^attnlens models: error: unexpected argument "--help"/);
  });
});
