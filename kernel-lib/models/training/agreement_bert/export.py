"""tiny-agreement-bert's model.onnx, tokenizer.json, tokenizer_config.json and config.json."""

import os

import torch

from ..onnx_export import batch_and_length_axes, export_onnx
from ..output_files import SCRIPT_PATH, write_json
from ..softmax_patterns import softmax_patterns
from ..tokenizer_files import bert_tokenizer_config, wordpiece_tokenizer_json
from .lexicon import BERT_SPECIALS, SEED_SENTENCE
from .model import BertExport
from .wordpiece import bert_tokenize


def export_model(model, vocab, out_dir):
    """model.onnx (masked-LM logits only), traced on the seed sentence; -> its Softmax patterns."""
    toks, tt = bert_tokenize(SEED_SENTENCE, vocab)
    ex_ids = torch.tensor([[vocab[t] for t in toks]] * 2)
    ex_mask = torch.ones_like(ex_ids)
    ex_types = torch.tensor([tt] * 2)
    onnx_model = export_onnx(
        BertExport(model), (ex_ids, ex_mask, ex_types), os.path.join(out_dir, "model.onnx"),
        ["input_ids", "attention_mask", "token_type_ids"], ["logits"],
        batch_and_length_axes({"input_ids": "sequence_length", "attention_mask": "sequence_length",
                               "token_type_ids": "sequence_length", "logits": "sequence_length"}),
    )
    return softmax_patterns(onnx_model)


def write_tokenizer_and_config(out_dir, vocab, cfg):
    write_json(os.path.join(out_dir, "tokenizer.json"), wordpiece_tokenizer_json(vocab, BERT_SPECIALS))
    write_json(os.path.join(out_dir, "tokenizer_config.json"), bert_tokenizer_config(vocab, BERT_SPECIALS, cfg["max_position_embeddings"]))
    config = {
        "model_type": "bert",
        "architectures": ["BertForMaskedLM"],
        **cfg,
        "hidden_act": "gelu",
        "layer_norm_eps": 1e-12,
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "position_embedding_type": "absolute",
        "pad_token_id": vocab["[PAD]"],
        "cls_token_id": vocab["[CLS]"],
        "sep_token_id": vocab["[SEP]"],
        "mask_token_id": vocab["[MASK]"],
        "unk_token_id": vocab["[UNK]"],
        "tie_word_embeddings": True,
        "attnlens_demo": {"task": "synthetic agreement + pronoun resolution MLM", "script": SCRIPT_PATH},
    }
    write_json(os.path.join(out_dir, "config.json"), config)
