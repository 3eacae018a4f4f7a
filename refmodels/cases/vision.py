"""Vision families (pixel_values in, patches as tokens), random weights from small configs.

- ViT: one encoder stack over [CLS] + 4×4 patches (image 32, patch 8).
- CLIP: optimum's `zero-shot-image-classification` export is ONE model.onnx holding both towers. Both are
  self-attention over their own input, so attnlens names every site `encoder.self.N`, numbered in graph
  order: optimum's graph computes the vision tower first, so encoder.self.0..L-1 are the vision tower
  (queries rooted at `pixel_values`, causal: false) and encoder.self.L..2L-1 the text tower (rooted at
  `input_ids`, causal: true: CLIP's text encoder is causal). The case reads that order from the ONNX node
  names (/vision_model/…, /text_model/…) and records `extra.towers` = {site id: "vision" | "text"}.
- Swin: windowed attention. Every block's Softmax runs over [batch·windows, heads, w², w²] (w = window
  size), exactly the shape transformers returns: attnlens reports these per-window maps as they are,
  batch axis = batch·windows (window-major within a sample, rows of windows in row-major order). Shifted
  blocks attend within windows of the grid rolled by -w/2 (transformers' torch.roll). transformers'
  SwinModel only returns the LAST block's map of each stage, so the reference reads every block's
  SwinSelfAttention output with forward hooks (the same tensors; the last of each stage is checked
  against out.attentions).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
from transformers import (
    CLIPConfig,
    CLIPImageProcessor,
    CLIPModel,
    SwinConfig,
    SwinModel,
    ViTConfig,
    ViTImageProcessor,
    ViTModel,
)

from ..case import Case, Run
from ..export import optimum
from ..inputs import id_batch

IMAGE = 32
VOCAB = 120


def pixels(batch: int, size: int = IMAGE, seed: int = 2) -> torch.Tensor:
    """Random pixel_values [batch, 3, size, size], roughly what a normalized image looks like."""
    rng = np.random.default_rng(seed)
    return torch.from_numpy(rng.standard_normal((batch, 3, size, size)).astype(np.float32))


def with_processor(processor, task: str, tokenizer=None):
    """optimum copies a preprocessor_config.json (and a tokenizer) it finds beside the weights: save them there
    first, so the export folder is what a user downloads (attnlens reads it to turn an image file into
    pixel_values, and CLIP's text into input_ids)."""
    export = optimum(task)

    def run(src: str, out: str) -> None:
        processor.save_pretrained(src)
        if tokenizer:
            tokenizer().save_pretrained(src)
        export(src, out)

    return run


# ViT


def _vit():
    cfg = ViTConfig(image_size=IMAGE, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                    intermediate_size=64, attn_implementation="eager")
    return ViTModel(cfg, add_pooling_layer=False).eval()


def _vit_runs(model, out):
    pv = pixels(2)
    return [Run("pixels", {"pixel_values": pv}, {"model.onnx": {"pixel_values": pv}}, {"model.onnx": ["encoder"]},
                extra={"grid": [4, 4], "cls": True})]


# CLIP


def _clip():
    cfg = CLIPConfig(
        text_config=dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                         intermediate_size=64, max_position_embeddings=32, attn_implementation="eager"),
        vision_config=dict(image_size=IMAGE, patch_size=8, hidden_size=32, num_hidden_layers=2,
                           num_attention_heads=4, intermediate_size=64, attn_implementation="eager"),
        projection_dim=16, attn_implementation="eager")
    return CLIPModel(cfg).eval()


def clip_tokenizer():
    """A word-level tokenizer over the case's vocabulary (w3 … w119), framed like CLIP's: <|startoftext|> … <|endoftext|>
    (id 2 = the text config's eos_token_id, where CLIP pools)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "<|startoftext|>": 1, "<|endoftext|>": 2, **{f"w{i}": i for i in range(3, VOCAB)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<|endoftext|>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="<|startoftext|> $A <|endoftext|>", special_tokens=[("<|startoftext|>", 1), ("<|endoftext|>", 2)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|startoftext|>", eos_token="<|endoftext|>",
                                   pad_token="<pad>", unk_token="<|endoftext|>")


def tower_order(onnx_file: str) -> list[str]:
    """The towers of the attention Softmax nodes in graph order, which is attnlens' site order."""
    g = onnx.load(onnx_file, load_external_data=False).graph
    order = []
    for n in g.node:
        if n.op_type == "Softmax" and "/encoder/" in n.name:
            order.append("vision" if n.name.startswith("/vision_model/") else "text")
    return order


def _clip_runs(model, out):
    pv = pixels(2)
    # Right-padded text through the causal text tower: causal and padding masks combined.
    ids, mask = id_batch(VOCAB, [7, 5])
    with torch.no_grad():
        o = model(input_ids=ids, attention_mask=mask, pixel_values=pv, output_attentions=True)
    by_tower = {"vision": list(o.vision_model_output.attentions), "text": list(o.text_model_output.attentions)}
    order = tower_order(str(Path(out) / "model.onnx"))
    maps, towers = [], {}
    for i, tower in enumerate(order):
        maps.append(by_tower[tower].pop(0))
        towers[f"encoder.self.{i}"] = tower
    # Every query row is compared, the padded text rows too: both implementations mask the padded keys the
    # same way, and the matrix test has one query mask per stack ("encoder"), which the two towers share.
    feeds = {"input_ids": ids, "attention_mask": mask, "pixel_values": pv}
    return [Run("image_and_text", feeds, {"model.onnx": feeds}, {"model.onnx": ["encoder"]},
                extra={"_attentions": {"encoder": tuple(maps)}, "towers": towers, "grid": [4, 4], "cls": True})]


# Swin


def _swin():
    cfg = SwinConfig(image_size=IMAGE, patch_size=4, embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=4,
                     attn_implementation="eager")
    return SwinModel(cfg, add_pooling_layer=False).eval()


def swin_block_attentions(model, pv) -> tuple:
    """Every block's attention probabilities [batch·windows, heads, w², w²], in block order."""
    maps, hooks = [], []
    for stage in model.encoder.layers:
        for block in stage.blocks:
            hooks.append(block.attention.self.register_forward_hook(lambda m, i, o: maps.append(o[1])))
    try:
        with torch.no_grad():
            out = model(pixel_values=pv, output_attentions=True)
    finally:
        for h in hooks:
            h.remove()
    # transformers returns the last block of each stage: those must be the very tensors hooked.
    last = []
    k = 0
    for stage in model.encoder.layers:
        k += len(stage.blocks)
        last.append(maps[k - 1])
    assert all(torch.equal(a, b) for a, b in zip(last, out.attentions, strict=True))
    return tuple(maps)


def _swin_runs(model, out):
    pv = pixels(2)
    maps = swin_block_attentions(model, pv)
    return [Run("pixels", {"pixel_values": pv}, {"model.onnx": {"pixel_values": pv}}, {"model.onnx": ["encoder"]},
                extra={"_attentions": {"encoder": maps}, "window": 4, "grids": [[8, 8], [4, 4]],
                       "windows": [int(m.shape[0]) // 2 for m in maps]})]


def _sites(n):
    return {"model.onnx": [f"encoder.self.{i}" for i in range(n)]}


VIT_PROCESSOR = ViTImageProcessor(size={"height": IMAGE, "width": IMAGE})
CLIP_PROCESSOR = CLIPImageProcessor(size={"shortest_edge": IMAGE}, crop_size={"height": IMAGE, "width": IMAGE})

CASES = [
    Case("vit", "ViT", "optimum fp32 (feature-extraction)", _vit,
         with_processor(VIT_PROCESSOR, "feature-extraction"), _vit_runs, expected_sites=_sites(2)),
    Case("clip", "CLIP", "optimum fp32 (zero-shot-image-classification, both towers)", _clip,
         with_processor(CLIP_PROCESSOR, "zero-shot-image-classification", clip_tokenizer), _clip_runs, expected_sites=_sites(4),
         notes="encoder.self.0-1: vision tower (pixel_values); encoder.self.2-3: text tower (input_ids, causal)"),
    Case("swin", "Swin", "optimum fp32 (feature-extraction, windowed)", _swin,
         with_processor(VIT_PROCESSOR, "feature-extraction"), _swin_runs, expected_sites=_sites(4),
         notes="per-window maps [batch·windows, heads, 16, 16], as transformers returns them"),
]
