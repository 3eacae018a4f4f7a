"""Encoder families (bidirectional self-attention), random weights from small configs.

Each family is exported twice where transformers has an SDPA path: from the eager model itself, and the
way `optimum-cli export onnx` does it, reloading the saved folder, which picks SDPA by default (the export
a user brings). Both must equal transformers' eager maps: the SDPA trace still holds a Softmax.
"""
from __future__ import annotations

import numpy as np
import onnx
import torch
from transformers import (
    AlbertConfig,
    AlbertModel,
    BertConfig,
    BertModel,
    DebertaV2Config,
    DebertaV2Model,
    DistilBertConfig,
    DistilBertModel,
    ElectraConfig,
    ElectraModel,
    RobertaConfig,
    RobertaModel,
)

from ..case import Case, Run
from ..export import optimum_from_model, torch_dynamo
from ..inputs import id_batch
from ..value_norms import head_norms, module_outputs

VOCAB = 120
LAYERS = 2
# Weights 10× the default spread: attention as peaked as a trained model's (max row probability ~0.4-0.7,
# not ~0.12 of near-uniform maps), so a missing term, e.g. DeBERTa's c2p/p2c, moves the maps by far more
# than the tolerance.
SHARP = 0.2
SMALL = dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=LAYERS, num_attention_heads=4,
             intermediate_size=64, max_position_embeddings=64, initializer_range=SHARP, attn_implementation="eager")


def _bert():
    return BertModel(BertConfig(**SMALL), add_pooling_layer=False).eval()


def _roberta():
    # Positions count from pad_token_id + 1 and skip pads: the export must reproduce that from input_ids.
    return RobertaModel(RobertaConfig(**SMALL, pad_token_id=1), add_pooling_layer=False).eval()


def _distilbert():
    cfg = DistilBertConfig(vocab_size=VOCAB, dim=32, n_layers=LAYERS, n_heads=4, hidden_dim=64,
                           max_position_embeddings=64, initializer_range=SHARP, attn_implementation="eager")
    return DistilBertModel(cfg).eval()


def _albert():
    # Factorised embeddings (16 → 32) and one layer group shared by every layer: the ONNX graph
    # unrolls the shared weights into one attention block per layer.
    cfg = AlbertConfig(**SMALL, embedding_size=16, num_hidden_groups=1, inner_group_num=1)
    return AlbertModel(cfg, add_pooling_layer=False).eval()


def _deberta_v2():
    # deberta-v3-style disentangled attention: content→position and position→content terms are added
    # to the scores before the softmax, attention keys shared. 8 buckets: distances over 4 take the
    # log-bucket path (make_log_bucket_position) within the 9-token run, as long texts do with 256.
    cfg = DebertaV2Config(**SMALL, relative_attention=True, position_buckets=8, max_relative_positions=-1,
                          pos_att_type=["p2c", "c2p"], share_att_key=True, norm_rel_ebd="layer_norm",
                          position_biased_input=False, type_vocab_size=0)
    return DebertaV2Model(cfg).eval()


def _electra():
    cfg = ElectraConfig(**SMALL, embedding_size=16)
    return ElectraModel(cfg).eval()


def _input_names(out: str) -> list[str]:
    m = onnx.load(f"{out}/model.onnx", load_external_data=False)
    return [i.name for i in m.graph.input]


def _pair_types(mask: torch.Tensor, first: list[int]) -> torch.Tensor:
    """token_type_ids of a right-padded sentence pair: 0 on the first segment, 1 on the second, 0 on pads."""
    types = torch.zeros_like(mask)
    for b, n in enumerate(first):
        types[b, n:] = mask[b, n:]
    return types


def _runs(pad_id: int = 0):
    """A right-padded batch; a sentence pair (token_type_ids 0 | 1) where the export takes token types."""

    def runs(model, out):
        names = _input_names(out)
        ids, mask = id_batch(VOCAB, [9, 6], pad_id=pad_id)
        plans = [("padded", torch.zeros_like(ids))]
        if "token_type_ids" in names:
            plans.append(("pair", _pair_types(mask, [4, 3])))
        result = []
        for run_name, types in plans:
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            feeds = {k: v for k, v in feeds.items() if k in names}
            missing = set(names) - set(feeds)
            if missing:
                raise SystemExit(f"refmodels: the export wants inputs this case does not make: {sorted(missing)}")
            extra = {"ids": np.asarray(ids).tolist()}
            if isinstance(model, DebertaV2Model):
                extra["value_norms"] = _deberta_value_norms(model, feeds)
            result.append(Run(run_name, dict(feeds), {"model.onnx": feeds}, {"model.onnx": ["encoder"]},
                              query_mask={"encoder": mask}, extra=extra))
        return result

    return runs


def _deberta_value_norms(model, feeds) -> list:
    """Norm-based attention's ‖f(x_j)‖ = ‖v_j W_O^h‖ per layer, [batch][head][source], from DeBERTa-v2's own
    value projection and its attention output's dense weight (before that block's LayerNorm and residual)."""
    layers = [layer.attention for layer in model.encoder.layer]
    values = module_outputs(model, [a.self.value_proj for a in layers], feeds)
    return [head_norms(v, a.output.dense.weight, a.self.attention_head_size) for a, v in zip(layers, values)]


SITES = {"model.onnx": [f"encoder.self.{i}" for i in range(LAYERS)]}

# (case name, family, build, pad id, has an SDPA path in transformers: 4.57 has none for DeBERTa-v2, ELECTRA)
FAMILIES = [
    ("bert", "BERT", _bert, 0, True),
    ("roberta", "RoBERTa", _roberta, 1, True),
    ("distilbert", "DistilBERT", _distilbert, 0, True),
    ("albert", "ALBERT", _albert, 0, True),
    ("deberta-v2", "DeBERTa-v2", _deberta_v2, 0, False),
    ("electra", "ELECTRA", _electra, 0, False),
]

CASES = []
for name, family, build, pad_id, sdpa in FAMILIES:
    CASES.append(Case(name, family, "optimum fp32, eager attention", build,
                      optimum_from_model("feature-extraction", attn_implementation="eager"), _runs(pad_id),
                      expected_sites=SITES))
    if sdpa:
        CASES.append(Case(f"{name}-sdpa", family, "optimum fp32, SDPA (optimum-cli's default)", build,
                          optimum_from_model("feature-extraction", attn_implementation="sdpa"), _runs(pad_id),
                          expected_sites=SITES))

# torch's own exporter (dynamo, torch.onnx.export's default) on BERT with SDPA: at opset 18 SDPA is traced
# into a Softmax; from opset 23 into the standard ONNX Attention op, which attnlens rewrites in standard ops.
BERT_INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
for opset in (18, 23):
    CASES.append(Case(f"bert-dynamo-opset{opset}", "BERT", f"torch.onnx.export dynamo, opset {opset}, SDPA", _bert,
                      torch_dynamo(opset, "sdpa", BERT_INPUTS), _runs(0), expected_sites=SITES))


def _packed_bert(src: str, out: str) -> None:
    """onnxruntime's BERT recipe for unpadded batches: fuse (Attention), then convert_to_packing_mode
    (PackedAttention, tokens of the whole batch packed end to end, offsets given at run time)."""
    from onnxruntime.transformers.convert_to_packing_mode import PackingMode
    from onnxruntime.transformers.optimizer import optimize_model

    optimum_from_model("feature-extraction", attn_implementation="eager")(src, out)
    fused = optimize_model(f"{out}/model.onnx", model_type="bert", num_heads=4, hidden_size=32, opt_level=0)
    if not fused.get_nodes_by_op_type("Attention"):
        raise SystemExit("refmodels: onnxruntime's optimizer fused no Attention node")
    PackingMode(fused).convert()
    if not fused.get_nodes_by_op_type("PackedAttention"):
        raise SystemExit("refmodels: convert_to_packing_mode wrote no PackedAttention node")
    fused.save_model_to_file(f"{out}/model.onnx")


# Packed attention has no [B, H, T, S] map to give (its rows are the batch's tokens end to end): refused.
CASES.append(Case("bert-packed", "BERT", "onnxruntime optimizer + convert_to_packing_mode (PackedAttention)",
                  _bert, _packed_bert, _runs(0), expected_sites={"model.onnx": []},
                  expect_error="NO_ATTENTION: (com.microsoft.PackedAttention) keep their probabilities inside"))
