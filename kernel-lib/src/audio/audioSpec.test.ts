import { describe, expect, it } from "vitest";
import type { InputSpec } from "../run/feeds";
import { audioSpec, describeAudioShape } from "./audioSpec";

const features = (dims: InputSpec["dims"]): InputSpec[] => [{ name: "input_features", type: "float32", dims }];
// WhisperFeatureExtractor's defaults (whisper-tiny's preprocessor_config.json).
const whisperPre = { feature_size: 80, nb_max_frames: 3000, hop_length: 160, sampling_rate: 16000 };

describe("audioSpec", () => {
  it("takes mel bins and frames from the graph, the frame duration from the preprocessor", () => {
    const spec = audioSpec(features(["batch_size", 128, 3000]), {}, whisperPre);
    expect(spec).toEqual({ input: "input_features", melBins: 128, frames: 3000, frameSeconds: 160 / 16000 });
    expect(describeAudioShape(spec as NonNullable<typeof spec>)).toBe(
      "[batch, 128, 3000] (3000 frames of 10 ms = 30 s)",
    );
  });

  it("fills symbolic axes from preprocessor_config.json, then config.json", () => {
    const named = features(["batch_size", "feature_size", "encoder_sequence_length"]);
    expect(audioSpec(named, {}, whisperPre)).toMatchObject({ melBins: 80, frames: 3000 });
    expect(audioSpec(named, { num_mel_bins: 80 }, null)).toEqual({
      input: "input_features",
      melBins: 80,
      frames: null,
      frameSeconds: null,
    });
  });

  it("is null for a model without a features input", () => {
    expect(audioSpec([{ name: "input_ids", type: "int64", dims: ["b", "s"] }], {}, whisperPre)).toBeNull();
  });
});
