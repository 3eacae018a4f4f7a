"""Causal decoder families, random weights from small configs; batches left-padded as generate() pads.

Each family is exported by optimum as `text-generation-with-past` (one model.onnx whose first step takes
empty past key/value feeds); GPT-2 and Llama also as `text-generation` (no past inputs at all).
Llama-layout families (v_proj, o_proj, key/value groups) also record norm-based attention's value norms
in the run's extra, computed from the modules' own weights.
"""
from __future__ import annotations

import inspect

import numpy as np
import onnx
import torch
from transformers import (
    BloomConfig,
    BloomForCausalLM,
    CodeGenConfig,
    CodeGenForCausalLM,
    FalconConfig,
    FalconForCausalLM,
    Gemma2Config,
    Gemma2ForCausalLM,
    GemmaConfig,
    GemmaForCausalLM,
    GPT2Config,
    GPT2LMHeadModel,
    GPTNeoXConfig,
    GPTNeoXForCausalLM,
    LlamaConfig,
    LlamaForCausalLM,
    MistralConfig,
    MistralForCausalLM,
    OPTConfig,
    OPTForCausalLM,
    PhiConfig,
    PhiForCausalLM,
    Qwen2Config,
    Qwen2ForCausalLM,
)

from ..case import Case, Run
from ..export import optimum
from ..inputs import id_batch, positions_from_mask
from ..value_norms import head_norms, module_outputs

VOCAB = 120
LAYERS = 2
# Longer than Mistral's window below, so the window cuts into the longer row.
LENGTHS = [9, 5]
SLIDING_WINDOW = 4


def _model(config_cls, model_cls, **cfg):
    def build():
        return model_cls(config_cls(vocab_size=VOCAB, attn_implementation="eager", **cfg)).eval()

    return build


def _rope(kv_heads=2, **extra):
    """The Llama-style layout the RoPE families share: 4 query heads over 2 key/value heads (GQA)."""
    return dict(hidden_size=32, intermediate_size=64, num_hidden_layers=LAYERS, num_attention_heads=4,
                num_key_value_heads=kv_heads, max_position_embeddings=64, **extra)


def _graph_inputs(path: str) -> dict[str, list]:
    """The ONNX file's inputs and their dims (ints, or the symbolic names)."""
    m = onnx.load(path, load_external_data=False)
    return {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in m.graph.input}


def _empty_past(dims: list, batch: int) -> np.ndarray:
    """A zero-length cache shaped as the graph declares it: its batch axis, 0 on the past-length axis."""
    shape = [d if isinstance(d, int) else (batch if "batch" in d else 0) for d in dims]
    return np.zeros(shape, dtype=np.float32)


def _left_padded(model, out: str) -> list[Run]:
    """One left-padded batch; positions count real tokens only, as generate() feeds them."""
    ids, mask = id_batch(VOCAB, LENGTHS, pad="left")
    pos = positions_from_mask(mask)
    graph = _graph_inputs(f"{out}/model.onnx")
    given = {"input_ids": ids, "attention_mask": mask, "position_ids": pos}
    feeds = {k: v for k, v in given.items() if k in graph}
    feeds |= {k: _empty_past(d, len(LENGTHS)) for k, d in graph.items() if k.startswith("past_key_values")}
    missing = set(graph) - set(feeds)
    if missing:
        raise SystemExit(f"refmodels: model.onnx wants inputs this case does not make: {sorted(missing)}")
    # BLOOM (ALiBi) takes no position ids; every other family gets the same ones as the export.
    accepted = inspect.signature(model.forward).parameters
    torch_kwargs = {k: v for k, v in given.items() if k in accepted} | {"use_cache": False}
    extra = {"value_norms": _value_norms(model, torch_kwargs)} if _has_gqa_layout(model) else {}
    return [Run("left_padded", torch_kwargs, {"model.onnx": feeds}, {"model.onnx": ["decoder"]},
                query_mask={"decoder": mask}, extra=extra)]


def _has_gqa_layout(model) -> bool:
    attn = getattr(getattr(model, "model", None), "layers", [None])[0]
    attn = getattr(attn, "self_attn", None)
    return all(hasattr(attn, a) for a in ("v_proj", "o_proj", "num_key_value_groups", "head_dim"))


def _value_norms(model, torch_kwargs) -> list:
    """Norm-based attention's ‖f(x_j)‖ = ‖v_j W_O^h‖ per layer, [batch][head][source], from the module's
    own value projection (repeated over each key/value head's query heads, as repeat_kv does) and o_proj."""
    layers = [layer.self_attn for layer in model.model.layers]
    values = module_outputs(model, [a.v_proj for a in layers], torch_kwargs)
    return [head_norms(v, a.o_proj.weight, a.head_dim, a.num_key_value_groups) for a, v in zip(layers, values)]


def _case(name, family, build, *, past=True, **kw) -> Case:
    task = "text-generation-with-past" if past else "text-generation"
    variant = "optimum with past, left-padded batch" if past else "optimum without past, left-padded batch"
    return Case(name, family, variant, build, optimum(task), _left_padded,
                expected_sites={"model.onnx": [f"decoder.self.{i}" for i in range(LAYERS)]}, **kw)


_gpt2 = _model(GPT2Config, GPT2LMHeadModel, n_embd=32, n_layer=LAYERS, n_head=4, n_positions=64)
_llama = _model(LlamaConfig, LlamaForCausalLM, **_rope())

CASES = [
    _case("gpt2", "GPT-2", _gpt2),
    _case("gpt2-nopast", "GPT-2", _gpt2, past=False),
    _case("gpt-neox", "GPT-NeoX", _model(GPTNeoXConfig, GPTNeoXForCausalLM, hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=LAYERS, num_attention_heads=4, rotary_pct=0.5,
                                         max_position_embeddings=64),
          notes="partial rotary (rotary_pct 0.5), parallel residual"),
    _case("llama", "Llama", _llama, notes="GQA: 4 query heads over 2 key/value heads; RoPE"),
    _case("llama-nopast", "Llama", _llama, past=False, notes="GQA: 4 query heads over 2 key/value heads; RoPE"),
    _case("mistral", "Mistral", _model(MistralConfig, MistralForCausalLM, **_rope(sliding_window=SLIDING_WINDOW)),
          notes=f"sliding window {SLIDING_WINDOW} < the longest row ({max(LENGTHS)} tokens); GQA"),
    _case("qwen2", "Qwen2", _model(Qwen2Config, Qwen2ForCausalLM, **_rope()), notes="GQA, q/k/v biases"),
    _case("phi", "Phi", _model(PhiConfig, PhiForCausalLM, **_rope(kv_heads=4, partial_rotary_factor=0.5)),
          # optimum's Phi export shapes its past as num_attention_heads (phi-1/2 have no GQA).
          notes="partial rotary (factor 0.5), 4 key/value heads as in phi-2"),
    _case("gemma", "Gemma", _model(GemmaConfig, GemmaForCausalLM, **_rope(head_dim=16)),
          notes="head_dim 16 ≠ hidden/heads; GQA"),
    _case("bloom", "BLOOM", _model(BloomConfig, BloomForCausalLM, hidden_size=32, n_layer=LAYERS, n_head=4),
          notes="ALiBi position biases, no position ids"),
    _case("opt", "OPT", _model(OPTConfig, OPTForCausalLM, hidden_size=32, ffn_dim=64, num_hidden_layers=LAYERS,
                               num_attention_heads=4, word_embed_proj_dim=32, max_position_embeddings=64),
          notes="learned positions offset by 2, computed from the attention mask"),
    _case("gemma2", "Gemma 2", _model(Gemma2Config, Gemma2ForCausalLM,
                                      **_rope(head_dim=16, query_pre_attn_scalar=24, attn_logit_softcapping=50.0,
                                              sliding_window=SLIDING_WINDOW)),
          notes="scores scaled by query_pre_attn_scalar^-0.5 (≠ head_dim), tanh soft-capping, sliding window "
                "on alternate layers; GQA"),
    _case("falcon", "Falcon", _model(FalconConfig, FalconForCausalLM, hidden_size=32, num_hidden_layers=LAYERS,
                                     num_attention_heads=4, new_decoder_architecture=False, multi_query=True,
                                     alibi=False, max_position_embeddings=64),
          notes="multi-query attention (one key/value head), RoPE"),
    _case("codegen", "CodeGen", _model(CodeGenConfig, CodeGenForCausalLM, n_embd=32, n_layer=LAYERS, n_head=4,
                                       rotary_dim=4, n_positions=64, n_ctx=64),
          notes="fused QKV in model-parallel blocks, partial rotary (rotary_dim 4)"),
]
