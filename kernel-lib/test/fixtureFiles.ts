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

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES)
    .filter(
      (d) => existsSync(path.join(FIXTURES, d, "model.onnx")) && existsSync(path.join(FIXTURES, d, "expected.json")),
    )
    .sort();
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
