"""Causal decoder families, random weights from small configs; batches left-padded as generate() pads."""
from __future__ import annotations

from transformers import GPT2Config, GPT2LMHeadModel

from ..case import Case, Run
from ..export import optimum
from ..inputs import empty_cache, id_batch, positions_from_mask

VOCAB = 120


def _gpt2():
    cfg = GPT2Config(vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=4, n_positions=64,
                     attn_implementation="eager")
    return GPT2LMHeadModel(cfg).eval()


def _left_padded(layers, kv_heads, head_dim):
    def runs(model, out):
        ids, mask = id_batch(VOCAB, [8, 5], pad="left")
        pos = positions_from_mask(mask)
        torch_kwargs = {"input_ids": ids, "attention_mask": mask, "position_ids": pos, "use_cache": False}
        feeds = {"input_ids": ids, "attention_mask": mask, "position_ids": pos,
                 **empty_cache(layers, 2, kv_heads, head_dim)}
        return [Run("left_padded", torch_kwargs, {"model.onnx": feeds}, {"model.onnx": ["decoder"]},
                    query_mask={"decoder": mask})]
    return runs


CASES = [
    Case("gpt2", "GPT-2", "optimum with past (left-padded batch)", _gpt2,
         optimum("text-generation-with-past"), _left_padded(2, 4, 8),
         expected_sites={"model.onnx": [f"decoder.self.{i}" for i in range(2)]}),
]
