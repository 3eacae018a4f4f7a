"""Whisper: an encoder over log-mel audio frames (two convolutions, the second of stride 2, so each encoder
position covers two 10 ms frames) and a decoder with cross-attention over those positions. Tiny random-weight
config; the feature extractor is Python's WhisperFeatureExtractor cut to a 1 s window (100 frames → 50 encoder
positions), saved with the export as preprocessor_config.json."""
from __future__ import annotations

import numpy as np
import torch
from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

from ..case import Case, Run
from ..export import optimum, torch_single_file
from ..tokenizer import save_word_tokenizer
from .seq2seq import decoder_ids, greedy

VOCAB = 120
LAYERS = 2
MELS = 80
SECONDS = 1
RATE = 16000
HOP = 160
POSITIONS = SECONDS * RATE // HOP // 2  # the conv stack halves the frames
# optimum's dummy input is 3000 frames (30 s) whatever the config says; Whisper's encoder refuses any other
# length than 2 × max_source_positions, so a small model exports only with nb_max_frames (the CLI's
# --nb_max_frames) set to match.
NOTES = "exported with nb_max_frames = 2 x max_source_positions (optimum's dummy audio is 3000 frames otherwise)"
TARGETS = ["a small bird sings", "the cold moon sleeps"]


def _whisper():
    cfg = WhisperConfig(vocab_size=VOCAB, num_mel_bins=MELS, d_model=32, encoder_layers=LAYERS,
                        decoder_layers=LAYERS, encoder_attention_heads=4, decoder_attention_heads=4,
                        encoder_ffn_dim=64, decoder_ffn_dim=64, max_source_positions=POSITIONS,
                        max_target_positions=32, pad_token_id=VOCAB - 1, bos_token_id=VOCAB - 2,
                        eos_token_id=VOCAB - 2, decoder_start_token_id=VOCAB - 3, begin_suppress_tokens=None,
                        suppress_tokens=None, attn_implementation="eager")
    return WhisperForConditionalGeneration(cfg).eval()


def feature_extractor() -> WhisperFeatureExtractor:
    return WhisperFeatureExtractor(feature_size=MELS, sampling_rate=RATE, hop_length=HOP, chunk_length=SECONDS,
                                   n_fft=400)


def clips() -> list[np.ndarray]:
    """Two clips shorter than the window (the extractor pads them with silence): a chirp and a tone in noise."""
    rng = np.random.default_rng(3)
    t1 = np.arange(int(0.7 * RATE)) / RATE
    t2 = np.arange(int(0.45 * RATE)) / RATE
    chirp = 0.5 * np.sin(2 * np.pi * (200 + 900 * t1) * t1)
    tone = 0.3 * np.sin(2 * np.pi * 440 * t2) + 0.05 * rng.standard_normal(t2.size)
    return [chirp.astype(np.float32), tone.astype(np.float32)]


GREEDY_STEPS = 4


def _runs(model, out):
    fe = feature_extractor()
    fe.save_pretrained(out)
    tok = save_word_tokenizer(out, model.config)
    features = fe(clips(), sampling_rate=RATE, return_tensors="pt").input_features
    dec = decoder_ids(tok, TARGETS, model.config.decoder_start_token_id)
    with torch.no_grad():
        hidden = model.get_encoder()(input_features=features).last_hidden_state
    torch_kwargs = {"input_features": features, "decoder_input_ids": dec, "use_cache": False}
    feeds = {
        "encoder_model.onnx": {"input_features": features},
        "decoder_model.onnx": {"input_ids": dec, "encoder_hidden_states": hidden},
    }
    sites = {"encoder_model.onnx": ["encoder"], "decoder_model.onnx": ["decoder", "cross"]}
    extra = {"greedy_ids": greedy(model, [{"input_features": f[None]} for f in features], dec[0, 0].item(),
                                       GREEDY_STEPS), "greedy_steps": GREEDY_STEPS,
             "targets": TARGETS, "target_tokens": [tok.convert_ids_to_tokens(r) for r in dec.tolist()],
             "feature_shape": list(features.shape), "encoder_positions": int(hidden.shape[1]),
             "hop_length": fe.hop_length, "sampling_rate": fe.sampling_rate}
    return [Run("two_clips", torch_kwargs, feeds, sites, extra=extra)]


def _single_runs(model, out):
    """The same clips and targets, both fed to one model.onnx."""
    [run] = _runs(model, out)
    feeds = {"input_features": run.torch_kwargs["input_features"],
             "decoder_input_ids": run.torch_kwargs["decoder_input_ids"]}
    return [Run(run.name, run.torch_kwargs, {"model.onnx": feeds}, {"model.onnx": ["encoder", "decoder", "cross"]},
                extra=run.extra)]


def _example(model):
    return [torch.zeros(1, MELS, 2 * POSITIONS), torch.full((1, 3), model.config.decoder_start_token_id)]


def _symbolic_axes(src: str, out: str) -> None:
    """optimum's export, then the encoder's frame axes declared by name as older optimum versions (and the
    transformers.js Whisper folders made with them) declare them: input_features [batch_size, feature_size,
    encoder_sequence_length], last_hidden_state [batch_size, "encoder_sequence_length / 2", d_model]."""
    import onnx

    optimum("automatic-speech-recognition", nb_max_frames=2 * POSITIONS)(src, out)
    path = f"{out}/encoder_model.onnx"
    m = onnx.load(path)
    names = {"input_features": ["batch_size", "feature_size", "encoder_sequence_length"],
             "last_hidden_state": ["batch_size", "encoder_sequence_length / 2", None]}
    for v in [*m.graph.input, *m.graph.output]:
        for d, name in zip(v.type.tensor_type.shape.dim, names.get(v.name, [])):
            if name:
                d.dim_param = name
    onnx.save(m, path)


def _expected():
    return {
        "encoder_model.onnx": [f"encoder.self.{i}" for i in range(LAYERS)],
        "decoder_model.onnx": [f"decoder.{k}.{i}" for i in range(LAYERS) for k in ("self", "cross")],
    }


CASES = [
    Case("whisper", "Whisper", "optimum split (audio frames)", _whisper, optimum("automatic-speech-recognition", nb_max_frames=2 * POSITIONS),
         _runs, notes=NOTES, expected_sites=_expected()),
    # With past: decoder_model.onnx (first step), decoder_with_past_model.onnx and decoder_model_merged.onnx.
    Case("whisper_with_past", "Whisper", "optimum split with past (first-step decoder)", _whisper,
         optimum("automatic-speech-recognition-with-past", nb_max_frames=2 * POSITIONS), _runs, notes=NOTES,
         expected_sites=_expected()),
    Case("whisper_symbolic", "Whisper", "optimum split, frame axes declared by name", _whisper, _symbolic_axes,
         _runs, notes=NOTES, expected_sites=_expected()),
    # One model.onnx by torch.onnx.export: encoder and decoder in a single graph, taking input_features and
    # decoder_input_ids together.
    Case("whisper_single", "Whisper", "torch.onnx.export, one file", _whisper,
         torch_single_file(["input_features", "decoder_input_ids"],
                           {"input_features": {0: "batch"}, "decoder_input_ids": {0: "batch", 1: "target"}},
                           _example),
         _single_runs, expected_sites={"model.onnx": [f"encoder.self.{i}" for i in range(LAYERS)] + [
             f"decoder.{k}.{i}" for i in range(LAYERS) for k in ("self", "cross")]}),
]
