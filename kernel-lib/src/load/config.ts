/**
 * The few fields of a Hugging Face config.json (and generation_config.json) attnlens uses, under
 * the several names model families give them.
 */
import { existsSync, readFileSync } from "node:fs";
import { AttnlensError } from "../errors";

/**
 * What attnlens reads from a model's `config.json` (and `generation_config.json`): architecture, vocabulary,
 * positions and special token ids.
 */
export interface ModelConfig {
  /** `bert`, `gpt2`, `marian`, … (empty when there is no config.json). */
  modelType: string;
  isEncoderDecoder: boolean;
  /** Most positions the model has embeddings for; null when unknown or unlimited (relative positions). */
  maxPositions: number | null;
  vocabSize: number | null;
  padTokenId: number | null;
  bosTokenId: number | null;
  /** One or several end-of-sequence ids. */
  eosTokenIds: number[];
  decoderStartTokenId: number | null;
  /** Default number of tokens for generation (max_length / max_new_tokens), when the config says. */
  maxLength: number | null;
  /** The raw JSON, for anything else. */
  raw: Record<string, unknown>;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const first = (raw: Record<string, unknown>, ...keys: string[]): number | null => {
  for (const k of keys) {
    const v = num(raw[k]);
    if (v != null) return v;
  }
  return null;
};

export function readJsonFile(file: string): Record<string, unknown> {
  try {
    const v = JSON.parse(readFileSync(file, "utf8"));
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
    throw new Error("not a JSON object");
  } catch (e) {
    throw new AttnlensError("BAD_MODEL", `cannot read ${file}: ${(e as Error).message}`);
  }
}

/** Reads config.json (and generation_config.json, whose values win for generation) when present. */
export function readModelConfig(configPath: string | null, generationPath: string | null): ModelConfig {
  const raw = configPath && existsSync(configPath) ? readJsonFile(configPath) : {};
  const gen = generationPath && existsSync(generationPath) ? readJsonFile(generationPath) : {};
  const merged = { ...raw, ...gen };
  const eos = merged.eos_token_id;
  const relative = /^(t5|mt5|longt5|umt5|bart-relative)$/.test(String(raw.model_type ?? ""));
  return {
    modelType: String(raw.model_type ?? ""),
    isEncoderDecoder: raw.is_encoder_decoder === true,
    maxPositions: relative ? null : first(raw, "max_position_embeddings", "n_positions", "n_ctx", "max_seq_len"),
    vocabSize: first(raw, "vocab_size"),
    padTokenId: first(merged, "pad_token_id"),
    bosTokenId: first(merged, "bos_token_id"),
    eosTokenIds: Array.isArray(eos)
      ? eos.filter((x): x is number => typeof x === "number")
      : num(eos) != null
        ? [eos as number]
        : [],
    decoderStartTokenId: first(merged, "decoder_start_token_id"),
    maxLength: first(gen, "max_new_tokens", "max_length") ?? first(raw, "max_length"),
    raw,
  };
}
