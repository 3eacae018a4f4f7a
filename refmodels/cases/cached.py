"""Decoders with a key/value cache: optimum's with-past export (one model.onnx taking past_key_values.N.*)
and a transformers.js-style decoder_model_merged.onnx (optimum.onnx.merge_decoders: an If on
use_cache_branch). Each case records three references from transformers (eager attention):
  prefix  — the prompt with an empty cache (S = T);
  cached  — new tokens after the prompt's cache (S > T: the keys are every position so far);
  generate (in `extra`) — greedy generate(output_attentions=True): generated ids and, per layer, the
            step maps stitched into one causal map (rows of step k from step k's map), as gen_*.npy.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from optimum.exporters.onnx import main_export
from optimum.exporters.tasks import TasksManager
from optimum.onnx import merge_decoders
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

from ..case import Case, Run
from ..export import optimum
from ..inputs import empty_cache, id_batch

VOCAB = 120
PREFIX, NEW, GEN = 6, 3, 6
MERGED = "decoder_model_merged.onnx"


def _gpt2(n_embd=32, n_positions=64):
    cfg = GPT2Config(vocab_size=VOCAB, n_embd=n_embd, n_layer=2, n_head=4, n_positions=n_positions,
                     bos_token_id=1, eos_token_id=2, initializer_range=0.3, attn_implementation="eager")
    return GPT2LMHeadModel(cfg).eval()


def _llama():
    cfg = LlamaConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                      bos_token_id=1, eos_token_id=2, initializer_range=0.3, attn_implementation="eager")
    return LlamaForCausalLM(cfg).eval()


def merged_export(src: str, out: str) -> None:
    """transformers.js's layout: the no-past and with-past decoders merged under an If on use_cache_branch."""
    tmp = Path(out) / "_parts"
    model_type = TasksManager.get_exporter_config_constructor(
        model_type=_model_type(src), exporter="onnx", task="text-generation-with-past", library_name="transformers")
    from transformers import AutoConfig
    config = AutoConfig.from_pretrained(src)
    no_past = model_type(config, task="text-generation", use_past=True, use_past_in_inputs=False)
    main_export(src, output=str(tmp / "no_past"), task="text-generation-with-past", do_validation=False,
                custom_onnx_configs={"model": no_past})
    main_export(src, output=str(tmp / "with_past"), task="text-generation-with-past", do_validation=False)
    merge_decoders(tmp / "no_past" / "model.onnx", tmp / "with_past" / "model.onnx", save_path=str(Path(out) / MERGED))
    for f in (tmp / "with_past").iterdir():
        if f.suffix == ".json":
            f.rename(Path(out) / f.name)
    import shutil
    shutil.rmtree(tmp)


def _model_type(src: str) -> str:
    import json
    return json.loads((Path(src) / "config.json").read_text())["model_type"]


def _shape(model):
    cfg = model.config
    heads = cfg.num_attention_heads
    kv = getattr(cfg, "num_key_value_heads", None) or heads
    return cfg.num_hidden_layers, kv, cfg.hidden_size // heads


def _cache_arrays(cache, layers: int) -> dict:
    """transformers' cache as optimum's past_key_values.N.key/value feeds (float32)."""
    out = {}
    for i in range(layers):
        k, v = cache.layers[i].keys, cache.layers[i].values
        out[f"past_key_values.{i}.key"] = k.detach().float().numpy().copy()
        out[f"past_key_values.{i}.value"] = v.detach().float().numpy().copy()
    return out


def _stacks(out) -> dict:
    return {"decoder": tuple(a.detach() for a in out.attentions)}


def cached_runs(file: str):
    merged = file == MERGED

    def runs(model, out):
        layers, kv, hd = _shape(model)
        ids, _ = id_batch(VOCAB, [PREFIX + NEW, PREFIX + NEW], seed=3)
        prefix, new = ids[:, :PREFIX], ids[:, PREFIX:]
        b = ids.shape[0]
        ones = lambda n: torch.ones((b, n), dtype=torch.int64)
        pos = lambda a, n: torch.arange(a, a + n).repeat(b, 1)
        with torch.no_grad():
            first = model(input_ids=prefix, attention_mask=ones(PREFIX), position_ids=pos(0, PREFIX),
                          use_cache=True, output_attentions=True)
            past = _cache_arrays(first.past_key_values, layers)
            step = model(input_ids=new, attention_mask=ones(PREFIX + NEW), position_ids=pos(PREFIX, NEW),
                         past_key_values=first.past_key_values, use_cache=True, output_attentions=True)
        flag = lambda on: {"use_cache_branch": np.array([on])} if merged else {}
        prefix_feeds = {"input_ids": prefix, "attention_mask": ones(PREFIX), "position_ids": pos(0, PREFIX),
                        **empty_cache(layers, b, kv, hd), **flag(False)}
        step_feeds = {"input_ids": new, "attention_mask": ones(PREFIX + NEW), "position_ids": pos(PREFIX, NEW),
                      **past, **flag(True)}
        generated = _generate(model, prefix[:1], layers, Path(out).parent)
        return [
            Run("prefix", {}, {file: prefix_feeds}, {file: ["decoder"]},
                extra={"_attentions": _stacks(first), "generate": generated}),
            Run("cached", {}, {file: step_feeds}, {file: ["decoder"]},
                extra={"_attentions": _stacks(step), "past_length": PREFIX, "new_tokens": NEW}),
        ]

    return runs


def _generate(model, prompt, layers: int, folder: Path) -> dict:
    """Greedy generation with the cache; each layer's step maps stitched into [1, H, T_total, T_total]."""
    with torch.no_grad():
        g = model.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=GEN, min_new_tokens=GEN,
                           do_sample=False, use_cache=True, output_attentions=True, return_dict_in_generate=True,
                           pad_token_id=0)
    new_ids = g.sequences[0, prompt.shape[1]:].tolist()
    steps = g.attentions  # steps × layers × [1, H, q, kv]
    total = prompt.shape[1] + len(steps) - 1  # the last generated token is never fed back
    maps = []
    for layer in range(layers):
        h = steps[0][layer].shape[1]
        full = np.zeros((1, h, total, total), dtype=np.float32)
        row = 0
        for k, per_layer in enumerate(steps):
            a = per_layer[layer].float().numpy()
            q, s = a.shape[2], a.shape[3]
            full[:, :, row:row + q, :s] = a
            row += q
        name = f"gen_decoder_{layer}.npy"
        np.save(folder / name, full)
        maps.append({"id": f"decoder.self.{layer}", "file": name, "shape": list(full.shape)})
    return {"prompt": prompt[0].tolist(), "generated": new_ids, "eos": [model.config.eos_token_id],
            "step_shapes": [list(s[0].shape) for s in steps], "maps": maps}


def _case(name, family, build, file, export):
    return Case(name, family, f"{'merged decoder (If on use_cache_branch)' if file == MERGED else 'with past'}, KV cache",
                build, export, cached_runs(file),
                expected_sites={file: [f"decoder.self.{i}" for i in range(2)]})


CASES = [
    _case("gpt2-kv", "GPT-2", _gpt2, "model.onnx", optimum("text-generation-with-past")),
    _case("llama-kv", "Llama", _llama, "model.onnx", optimum("text-generation-with-past")),
    _case("gpt2-merged", "GPT-2", _gpt2, MERGED, merged_export),
    _case("llama-merged", "Llama", _llama, MERGED, merged_export),
    # Room for long prompts: bench/kvCache.mjs times cached against re-run generation on it.
    _case("gpt2-kv-long", "GPT-2", lambda: _gpt2(n_embd=64, n_positions=512), "model.onnx",
          optimum("text-generation-with-past")),
]
