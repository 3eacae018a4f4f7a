/**
 * `attnlens extract SOURCE --features FEATURES.npy …`: an audio model (Whisper) from its log-mel features
 * ([batch, mel, frames] or [mel, frames], as numpy.save writes the feature extractor's input_features), with
 * the decoder's text (--target) or greedy generation (the default; --generate N caps it).
 */
import { loadModel } from "../load/loadModel";
import type { AttentionResult } from "../result/types";
import { str, UsageError } from "./args";
import { loadOptions } from "./extractText";

type Values = Record<string, string | boolean | undefined>;

export async function extractFromFeatures(
  source: string,
  file: string,
  values: Values,
): Promise<{ result: AttentionResult; generated?: string }> {
  if (str(values.pair) !== undefined) throw new UsageError("--pair is for text models, not with --features");
  const target = str(values.target);
  const generate = str(values.generate);
  const maxNewTokens = generate === undefined ? undefined : Number(generate);
  if (maxNewTokens !== undefined && !(Number.isInteger(maxNewTokens) && maxNewTokens >= 1))
    throw new UsageError("--generate takes a number of new tokens (≥ 1)");
  if (target !== undefined && maxNewTokens !== undefined)
    throw new UsageError("give either --target or --generate, not both");
  const model = await loadModel(source, loadOptions(values));
  try {
    const result = await model.run({ input_features: file, target }, { maxNewTokens });
    return "generated" in result
      ? { result, generated: (result.generated as { text: string[] }).text.join("\n") }
      : { result };
  } finally {
    await model.release();
  }
}
