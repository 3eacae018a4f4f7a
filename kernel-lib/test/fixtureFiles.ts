/** Loading the torch-exported fixtures (see fixtures/make_fixtures.py) for tests. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { decodeNpy } from "../src/output/files/npy";
import { type Feeds, type JsonFeed, tensorFromJson } from "../src/run/feeds";

export const FIXTURES = path.join(__dirname, "fixtures");

export interface ExpectedSite {
  stack: "encoder" | "decoder";
  kind: "self" | "cross";
  layer: number;
  heads: number;
  causal: boolean;
  file: string;
  shape: number[];
}

export interface Fixture {
  name: string;
  dir: string;
  modelPath: string;
  feeds: Feeds;
  expected: {
    sites: ExpectedSite[];
    notSites: string[];
    masks: Record<string, number[][]>;
    /** torch's outputs of the model (outputN.npy). */
    outputs: { name: string; file: string; shape: number[] }[];
  };
  reference(site: ExpectedSite): Float32Array;
}

/** The files that make a directory under fixtures/ a fixture. */
const FIXTURE_FILES = ["model.onnx", "feeds.json", "expected.json"];

/**
 * The fixture directories under `root` (default fixtures/): those holding any of FIXTURE_FILES.
 * One holding only some of them throws, naming the directory and what is missing, rather than
 * being dropped (a test would then silently cover one model fewer).
 */
export function fixtureNames(root = FIXTURES): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const present = FIXTURE_FILES.filter((f) => existsSync(path.join(root, entry.name, f)));
    if (present.length === 0) continue; // not a fixture (real/: see its README)
    const missing = FIXTURE_FILES.filter((f) => !present.includes(f));
    if (missing.length > 0) {
      throw new Error(
        `fixture ${path.join(root, entry.name)} lacks ${missing.join(", ")}: regenerate it (fixtures/make_fixtures.py) or remove the directory`,
      );
    }
    names.push(entry.name);
  }
  return names.sort();
}

export function loadFixture(name: string): Fixture {
  const dir = path.join(FIXTURES, name);
  const json = JSON.parse(readFileSync(path.join(dir, "feeds.json"), "utf8")) as Record<string, JsonFeed>;
  const feeds: Feeds = {};
  for (const [k, v] of Object.entries(json)) feeds[k] = tensorFromJson(k, v);
  return {
    name,
    dir,
    modelPath: path.join(dir, "model.onnx"),
    feeds,
    expected: JSON.parse(readFileSync(path.join(dir, "expected.json"), "utf8")),
    reference: (site) => decodeNpy(readFileSync(path.join(dir, site.file))).data,
  };
}
