"""tiny-reverse-encdec's encoder_model.onnx, decoder_model.onnx, tokenizer.json, tokenizer_config.json and config.json."""

import os

import torch

from ..onnx_export import batch_and_length_axes, export_onnx
from ..output_files import SCRIPT_PATH, write_json
from ..softmax_patterns import softmax_patterns
from ..tokenizer_files import append_template, word_level_tokenizer_config, word_level_tokenizer_json
from .data import ED_SPECIALS
from .model import DecoderExport, EncoderExport

DEMO_SOURCE = "one two three four five six"


def demo_source_ids(vocab):
    return [vocab[w] for w in DEMO_SOURCE.split()] + [vocab["</s>"]]


def export_models(model, vocab, out_dir):
    """The encoder and the decoder (with lm_head) as two files, optimum's split layout, traced on the demo
    source; -> the Softmax patterns of each."""
    d_ids = demo_source_ids(vocab)
    ds = torch.tensor([d_ids, d_ids])
    dm = torch.ones_like(ds)
    enc_model = export_onnx(
        EncoderExport(model), (ds, dm), os.path.join(out_dir, "encoder_model.onnx"), ["input_ids", "attention_mask"], ["last_hidden_state"],
        batch_and_length_axes({"input_ids": "encoder_sequence_length", "attention_mask": "encoder_sequence_length",
                               "last_hidden_state": "encoder_sequence_length"}),
    )
    with torch.no_grad():
        ehs, _ = model.model.encoder(ds, dm)
    dd = torch.tensor([[vocab["<s>"]] + d_ids[:3]] * 2)
    dec_model = export_onnx(
        DecoderExport(model), (dd, ehs, dm), os.path.join(out_dir, "decoder_model.onnx"),
        ["input_ids", "encoder_hidden_states", "encoder_attention_mask"], ["logits"],
        batch_and_length_axes({"input_ids": "decoder_sequence_length", "encoder_hidden_states": "encoder_sequence_length",
                               "encoder_attention_mask": "encoder_sequence_length", "logits": "decoder_sequence_length"}),
    )
    return softmax_patterns(enc_model), softmax_patterns(dec_model)


def write_tokenizer_and_config(out_dir, vocab, cfg):
    write_json(os.path.join(out_dir, "tokenizer.json"), word_level_tokenizer_json(vocab, ED_SPECIALS, append_template(vocab, "</s>")))
    write_json(os.path.join(out_dir, "tokenizer_config.json"),
               word_level_tokenizer_config(vocab, ED_SPECIALS, bos="<s>", eos="</s>", pad="<pad>", unk="<unk>",
                                           max_len=cfg["max_position_embeddings"]))
    config = {
        "model_type": "bart",
        "architectures": ["BartForConditionalGeneration"],
        "is_encoder_decoder": True,
        **cfg,
        "hidden_size": cfg["d_model"],
        "num_attention_heads": cfg["encoder_attention_heads"],
        "num_hidden_layers": cfg["encoder_layers"],
        "activation_function": "gelu",
        "scale_embedding": False,
        "normalize_before": False,
        "add_final_layer_norm": False,
        "dropout": 0.0, "attention_dropout": 0.0, "activation_dropout": 0.0,
        "bos_token_id": vocab["<s>"], "eos_token_id": vocab["</s>"], "unk_token_id": vocab["<unk>"],
        "decoder_start_token_id": vocab["<s>"],
        "forced_eos_token_id": vocab["</s>"],
        "tie_word_embeddings": True,
        "attnlens_demo": {"task": "reverse the input word sequence", "alignment": "target position t (0-based, before </s>) <- source position n-1-t",
                          "differences_from_bart": "learned positions without BART's +2 offset; attention kept 4-D (no bmm reshape)",
                          "script": SCRIPT_PATH},
    }
    write_json(os.path.join(out_dir, "config.json"), config)
