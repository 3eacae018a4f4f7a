"""Encoder families (bidirectional self-attention), random weights from small configs."""
from __future__ import annotations

from transformers import BertConfig, BertModel

from ..case import Case, Run
from ..export import optimum
from ..inputs import id_batch

VOCAB = 120


def _bert():
    cfg = BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=64, max_position_embeddings=64, attn_implementation="eager")
    return BertModel(cfg, add_pooling_layer=False).eval()


def _padded_runs(model, out):
    ids, mask = id_batch(VOCAB, [9, 6])
    types = ids * 0
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
    return [Run("padded", dict(feeds), {"model.onnx": feeds}, {"model.onnx": ["encoder"]},
                query_mask={"encoder": mask})]


CASES = [
    Case("bert", "BERT", "optimum fp32", _bert, optimum("feature-extraction"), _padded_runs,
         expected_sites={"model.onnx": [f"encoder.self.{i}" for i in range(2)]}),
]
