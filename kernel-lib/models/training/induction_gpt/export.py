"""tiny-induction-gpt's model.onnx, tokenizer.json, tokenizer_config.json and config.json."""

import os

import torch

from ..onnx_export import batch_and_length_axes, export_onnx
from ..output_files import SCRIPT_PATH, write_json
from ..softmax_patterns import softmax_patterns
from ..tokenizer_files import prepend_template, word_level_tokenizer_config, word_level_tokenizer_json
from .data import GPT_SPECIALS
from .model import GPT2Export

BOS = GPT_SPECIALS[0]  # <|endoftext|> is bos, eos and pad


def export_model(model, example_ids, out_dir):
    """model.onnx (logits only), traced on two 12-token held-out sequences; -> its Softmax patterns."""
    ex = example_ids[:2, :12]
    onnx_model = export_onnx(
        GPT2Export(model), (ex, torch.ones_like(ex)), os.path.join(out_dir, "model.onnx"), ["input_ids", "attention_mask"], ["logits"],
        batch_and_length_axes({"input_ids": "sequence_length", "attention_mask": "sequence_length", "logits": "sequence_length"}),
    )
    return softmax_patterns(onnx_model)


def write_tokenizer_and_config(out_dir, vocab, cfg):
    write_json(os.path.join(out_dir, "tokenizer.json"), word_level_tokenizer_json(vocab, GPT_SPECIALS, prepend_template(vocab, BOS)))
    write_json(os.path.join(out_dir, "tokenizer_config.json"),
               word_level_tokenizer_config(vocab, GPT_SPECIALS, bos=BOS, eos=BOS, pad=BOS, unk="<unk>", max_len=cfg["n_positions"]))
    config = {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        **cfg,
        "n_ctx": cfg["n_positions"],
        "n_inner": None,
        "hidden_size": cfg["n_embd"],
        "num_attention_heads": cfg["n_head"],
        "num_hidden_layers": cfg["n_layer"],
        "max_position_embeddings": cfg["n_positions"],
        "layer_norm_epsilon": 1e-5,
        "attn_pdrop": 0.0, "embd_pdrop": 0.0, "resid_pdrop": 0.0,
        "bos_token_id": vocab[BOS], "eos_token_id": vocab[BOS], "pad_token_id": vocab[BOS],
        "unk_token_id": vocab["<unk>"],
        "tie_word_embeddings": False,
        "attnlens_demo": {"attention_only": True, "note": "no MLP blocks: each layer is ln_1 + attention + residual",
                          "task": "next token on random tokens with repeated segments (induction)",
                          "script": SCRIPT_PATH},
    }
    write_json(os.path.join(out_dir, "config.json"), config)
