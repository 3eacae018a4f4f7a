"""Encoder–decoder families (T5, BART, Marian), random weights from small configs, exported by optimum as
encoder_model.onnx + decoder_model.onnx. Each file gets its own feeds: the encoder the right-padded source
batch, the decoder its ids, the source mask and the encoder states torch computed (a float feed), so the
encoder self, decoder self and cross sites are each compared with transformers' tuples."""
from __future__ import annotations

import torch
from transformers import (BartConfig, BartForConditionalGeneration, MarianConfig, MarianMTModel, T5Config,
                          T5ForConditionalGeneration)

from ..case import Case, Run
from ..export import optimum
from ..tokenizer import save_word_tokenizer

VOCAB = 120
LAYERS = 2


def _t5():
    cfg = T5Config(vocab_size=VOCAB, d_model=32, d_kv=8, d_ff=64, num_layers=LAYERS, num_decoder_layers=LAYERS,
                   num_heads=4, relative_attention_num_buckets=8, relative_attention_max_distance=16,
                   decoder_start_token_id=0, pad_token_id=0, eos_token_id=1, attn_implementation="eager")
    return T5ForConditionalGeneration(cfg).eval()


def _bart():
    cfg = BartConfig(vocab_size=VOCAB, d_model=32, encoder_layers=LAYERS, decoder_layers=LAYERS,
                     encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
                     max_position_embeddings=64, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                     decoder_start_token_id=2, forced_eos_token_id=None, attn_implementation="eager")
    return BartForConditionalGeneration(cfg).eval()


def _marian():
    cfg = MarianConfig(vocab_size=VOCAB, decoder_vocab_size=VOCAB, d_model=32, encoder_layers=LAYERS,
                       decoder_layers=LAYERS, encoder_attention_heads=4, decoder_attention_heads=4,
                       encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64, pad_token_id=VOCAB - 1,
                       eos_token_id=0, decoder_start_token_id=VOCAB - 1, forced_eos_token_id=None,
                       attn_implementation="eager")
    return MarianMTModel(cfg).eval()


SOURCES = ["the cat sees a dog under the old tree", "red sun over the river"]
TARGETS = ["a small bird sings", "the cold moon sleeps"]


def decoder_ids(tok, targets, start):
    """What TextModel (and transformers' shift_tokens_right on labels) feeds the decoder: the start token, then
    the target's tokens without the final </s>."""
    rows = [[start] + (ids[:-1] if ids[-1] == tok.eos_token_id else ids) for ids in tok(targets).input_ids]
    assert len({len(r) for r in rows}) == 1, "targets of one token count keep the decoder batch unpadded"
    return torch.tensor(rows, dtype=torch.int64)


GREEDY_STEPS = 4


def greedy(model, encoder_inputs: list[dict], start: int, steps: int) -> list[list[int]]:
    """Plain greedy decoding per sample (arg-max of the last logits; no forced or suppressed tokens), stopping
    after the end token: what attnlens' generation does, one unpadded sample at a time."""
    out = []
    with torch.no_grad():
        for inputs in encoder_inputs:
            fed, made = [start], []
            for _ in range(steps):
                logits = model(**inputs, decoder_input_ids=torch.tensor([fed])).logits
                made.append(int(logits[0, -1].argmax()))
                if made[-1] == model.config.eos_token_id:
                    break
                fed.append(made[-1])
            out.append(made)
    return out


def _split_runs(model, out):
    """A right-padded source batch of sentences (tokenizer saved with the export), one decoder batch: the
    encoder file on the ids, the decoder file on torch's encoder states."""
    tok = save_word_tokenizer(out, model.config)
    enc = tok(SOURCES, padding=True, return_tensors="pt")
    ids, mask = enc.input_ids, enc.attention_mask
    dec = decoder_ids(tok, TARGETS, model.config.decoder_start_token_id)
    with torch.no_grad():
        hidden = model.get_encoder()(input_ids=ids, attention_mask=mask).last_hidden_state
    torch_kwargs = {"input_ids": ids, "attention_mask": mask, "decoder_input_ids": dec, "use_cache": False}
    feeds = {
        "encoder_model.onnx": {"input_ids": ids, "attention_mask": mask},
        "decoder_model.onnx": {"input_ids": dec, "encoder_attention_mask": mask, "encoder_hidden_states": hidden},
    }
    sites = {"encoder_model.onnx": ["encoder"], "decoder_model.onnx": ["decoder", "cross"]}
    every = torch.ones_like(dec)
    text = {"sources": SOURCES, "targets": TARGETS,
            "source_tokens": [tok.convert_ids_to_tokens(r) for r in ids.tolist()],
            "target_tokens": [tok.convert_ids_to_tokens(r) for r in dec.tolist()],
            "greedy_steps": GREEDY_STEPS,
            "greedy_ids": greedy(model, [{"input_ids": torch.tensor([tok(t).input_ids])} for t in SOURCES],
                                 model.config.decoder_start_token_id, GREEDY_STEPS)}
    return [Run("right_padded", torch_kwargs, feeds, sites,
                query_mask={"encoder": mask, "decoder": every, "cross": every}, extra=text)]


def _expected():
    return {
        "encoder_model.onnx": [f"encoder.self.{i}" for i in range(LAYERS)],
        "decoder_model.onnx": [f"decoder.{k}.{i}" for i in range(LAYERS) for k in ("self", "cross")],
    }


CASES = [
    Case("t5", "T5", "optimum split (relative position bias, no 1/sqrt(d))", _t5, optimum("text2text-generation"),
         _split_runs, expected_sites=_expected()),
    # -with-past writes decoder_model.onnx (first step, present outputs added), decoder_with_past_model.onnx and
    # decoder_model_merged.onnx beside the encoder: the first-step pair is the one compared here (cached steps
    # are the KV-cache cases' job).
    Case("t5_with_past", "T5", "optimum split with past (first-step decoder)", _t5,
         optimum("text2text-generation-with-past"), _split_runs, expected_sites=_expected()),
    Case("bart", "BART", "optimum split", _bart, optimum("text2text-generation"), _split_runs,
         expected_sites=_expected()),
    Case("marian", "Marian", "optimum split", _marian, optimum("text2text-generation"), _split_runs,
         expected_sites=_expected()),
]
