import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { AttnlensError } from "../errors";
import { encodeNpy } from "../io/npy";
import { type Feeds, type JsonFeed, tensorFromJson } from "../model/feeds";
import { openModel } from "../model/openModel";
import type { AttentionResult } from "../result/types";
import { parse, providersOption, str, UsageError } from "./args";
import type { Command } from "./commands";

export const extractCommand: Command = {
  name: "extract",
  usage: "attnlens extract MODEL.onnx --feeds FEEDS.json --out DIR [--providers cuda,webgpu,cpu]",
  summary: "run the model and write one float32 .npy per attention site ([B,H,T,S]) plus DIR/manifest.json",
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      { feeds: { type: "string" }, out: { type: "string" }, providers: { type: "string" } },
      1,
    );
    const feedsFile = str(values.feeds);
    const out = str(values.out);
    if (!feedsFile) throw new UsageError("--feeds FEEDS.json is required");
    if (!out) throw new UsageError("--out DIR is required");
    const feeds = readFeeds(feedsFile);
    const model = await openModel(positionals[0], { providers: providersOption(values.providers) });
    try {
      const result = await model.run(feeds);
      writeExtraction(out, result);
      for (const f of result.fallbacks)
        process.stderr.write(`attnlens: provider ${f.provider} not used: ${f.reason}\n`);
      process.stdout.write(`${result.sites.length} attention maps (${result.provider}) written to ${out}\n`);
      return 0;
    } finally {
      await model.release();
    }
  },
};

export function readFeeds(file: string): Feeds {
  let json: Record<string, JsonFeed>;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new AttnlensError("BAD_FEEDS", `cannot read feeds from ${file}: ${why}`);
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    throw new AttnlensError("BAD_FEEDS", `${file} must be a JSON object {"<input name>": {"type", "dims", "data"}}`);
  }
  const feeds: Feeds = {};
  for (const [name, f] of Object.entries(json)) feeds[name] = tensorFromJson(name, f);
  return feeds;
}

/** Writes `<site id>.npy` per site and manifest.json, in site order. */
export function writeExtraction(dir: string, result: AttentionResult): void {
  mkdirSync(dir, { recursive: true });
  const sites = result.sites.map((s) => {
    const file = `${s.id}.npy`;
    writeFileSync(path.join(dir, file), encodeNpy(s.data, s.dims));
    return {
      id: s.id,
      stack: s.stack,
      kind: s.kind,
      layer: s.layer,
      heads: s.heads,
      causal: s.causal,
      file,
      shape: s.dims,
    };
  });
  const manifest = { provider: result.provider, fallbacks: result.fallbacks, sites, masks: maskJson(result) };
  writeFileSync(path.join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

function maskJson(result: AttentionResult): Record<string, number[][]> {
  const out: Record<string, number[][]> = {};
  for (const [stack, m] of Object.entries(result.masks)) {
    if (!m) continue;
    const [b, l] = m.dims;
    out[stack] = Array.from({ length: b }, (_, i) => Array.from(m.data.subarray(i * l, (i + 1) * l)));
  }
  return out;
}
