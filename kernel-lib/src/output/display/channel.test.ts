/**
 * The tslab display hook: the internal `lastWriteDisplayData` is used when it has the shape attnlens
 * was written against; when it is missing or changed, the public `display.raw` path is used and one
 * warning names the tslab version and what is lost. The tslab modules here are fakes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { type DisplayMessage, kernelChannel, resetChannelWarning } from "./channel";

const root = mkdtempSync(path.join(tmpdir(), "attnlens-tslab-"));
mkdirSync(path.join(root, "tslab", "dist"), { recursive: true });
writeFileSync(path.join(root, "tslab", "package.json"), JSON.stringify({ name: "tslab", version: "9.8.7" }));
const JUPYTER = path.join(root, "tslab", "dist", "jupyter.js");
const PUBLIC = path.join(root, "tslab", "dist", "public.js");

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fake tslab: its jupyter module's exports and a public display that records what it is given. */
function fakeTslab(jupyterExports: unknown) {
  const raw: [string, string][] = [];
  const modules: Record<string, { exports?: unknown }> = {
    [PUBLIC]: { exports: { display: { raw: (mime: string, data: string) => raw.push([mime, data]) } } },
  };
  if (jupyterExports !== undefined) modules[JUPYTER] = { exports: jupyterExports };
  return { modules, raw };
}

describe("kernelChannel", () => {
  let warnings: string[];
  const warn = (line: string) => warnings.push(line);
  beforeEach(() => {
    warnings = [];
    resetChannelWarning();
  });

  it("sends whole bundles through lastWriteDisplayData when it has tslab 1.0's shape, silently", () => {
    const sent: [DisplayMessage, boolean][] = [];
    const { modules } = fakeTslab({ lastWriteDisplayData: (m: DisplayMessage, u: boolean) => sent.push([m, u]) });
    const channel = kernelChannel({ modules, inKernel: true, warn });
    expect(channel?.kind).toBe("bundle");
    const message = { data: { "text/plain": "hi" }, metadata: {}, transient: {} };
    if (channel?.kind === "bundle") channel.send(message);
    expect(sent).toEqual([[message, false]]);
    expect(warnings).toEqual([]);
  });

  it.each([
    ["missing (no jupyter module)", undefined, "is missing"],
    ["missing (export gone)", { somethingElse: 1 }, "is missing"],
    ["changed (not a function)", { lastWriteDisplayData: "write" }, "has changed"],
    ["changed (other arity)", { lastWriteDisplayData: (m: unknown) => m }, "has changed"],
  ])("falls back to display.raw when the hook is %s, and says so once", (_, exports, problem) => {
    const { modules, raw } = fakeTslab(exports);
    const first = kernelChannel({ modules, inKernel: true, warn });
    const second = kernelChannel({ modules, inKernel: true, warn });
    expect(first?.kind).toBe("raw");
    expect(second?.kind).toBe("raw");
    if (first?.kind === "raw") first.send("application/json", "{}");
    expect(raw).toEqual([["application/json", "{}"]]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("tslab 9.8.7");
    expect(warnings[0]).toContain(`lastWriteDisplayData ${problem}`);
    expect(warnings[0]).toContain("display.raw");
    expect(warnings[0]).toMatch(/no static SVG picture or text summary/);
    expect(warnings[0].trimEnd().split("\n")).toHaveLength(1);
  });

  it("is null outside a kernel, and outside tslab", () => {
    expect(kernelChannel({ modules: fakeTslab(undefined).modules, inKernel: false, warn })).toBeNull();
    expect(kernelChannel({ modules: {}, inKernel: true, warn })).toBeNull();
    expect(warnings).toEqual([]);
  });
});
