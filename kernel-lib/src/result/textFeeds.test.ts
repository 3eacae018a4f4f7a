import { describe, expect, it } from "vitest";
import { readsTextFeeds } from "./textFeeds";

describe("readsTextFeeds", () => {
  it("is false only for sites whose queries come from image or audio inputs alone", () => {
    expect(readsTextFeeds({ inputs: ["pixel_values"] })).toBe(false); // CLIP's vision tower, ViT
    expect(readsTextFeeds({ inputs: ["input_features"] })).toBe(false); // Whisper's encoder
    expect(readsTextFeeds({ inputs: ["input_values", "pixel_mask"] })).toBe(false);
    expect(readsTextFeeds({ inputs: ["input_ids", "attention_mask"] })).toBe(true);
    expect(readsTextFeeds({ inputs: ["inputs_embeds"] })).toBe(true);
    expect(readsTextFeeds({ inputs: ["pixel_values", "input_ids"] })).toBe(true); // a fused multimodal stream
  });

  it("takes sites whose inputs were not traced, or have other names, as text sites (as before)", () => {
    expect(readsTextFeeds({})).toBe(true);
    expect(readsTextFeeds({ inputs: [] })).toBe(true);
    expect(readsTextFeeds({ inputs: ["image_tensor"] })).toBe(true);
  });
});
