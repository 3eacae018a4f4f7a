"""tiny-reverse-encdec's reference.json: tokenizer samples, and for the demo source the greedy output with
torch attention probabilities and logits."""

import os

import torch

from ..attention_sites import decoder_softmax_site, reference_site
from ..output_files import write_compact_json
from ..reference_json import logits_sample, word_level_sample
from ..rounding import nested_round
from .decoding import ed_greedy
from .export import DEMO_SOURCE, demo_source_ids

SAMPLE_TEXTS = [DEMO_SOURCE, "Red green BLUE", "cat dog fox owl bee", "hello cat"]


def write_reference(out_dir, model, vocab, enc_pat, dec_pat):
    inv = {i: t for t, i in vocab.items()}
    d_ids = demo_source_ids(vocab)
    with torch.no_grad():
        dsrc = torch.tensor([d_ids])
        dmask = torch.ones_like(dsrc)
        gen = ed_greedy(model, dsrc, dmask, vocab, len(d_ids) + 1)[0].tolist()
        dec_ids = [vocab["<s>"]] + gen[: gen.index(vocab["</s>"])] if vocab["</s>"] in gen else [vocab["<s>"]] + gen
        enc_h, ep = model.model.encoder(dsrc, dmask)
        lg, sp, cp = model.model.decoder(torch.tensor([dec_ids]), enc_h, dmask)
        lg = model.lm_head(lg)
    NLe, NLd = len(ep), len(sp)
    reference = {
        "tokenizer_samples": [word_level_sample(text, vocab, eos="</s>") for text in SAMPLE_TEXTS],
        "probe": {
            "source_text": DEMO_SOURCE, "source_tokens": [inv[i] for i in d_ids], "input_ids": d_ids, "attention_mask": [1] * len(d_ids),
            "generated_ids": gen, "generated_tokens": [inv[i] for i in gen],
            "decoder_input_ids": dec_ids, "decoder_tokens": [inv[i] for i in dec_ids],
            "encoder_sites": [reference_site("encoder", "self", l, enc_pat[l]["softmax"]) for l in range(NLe)],
            "decoder_sites": [reference_site("decoder", *decoder_softmax_site(p["softmax"]), p["softmax"]) for p in dec_pat],
            "encoder_attention": [nested_round(ep[l][0]) for l in range(NLe)],
            "decoder_self_attention": [nested_round(sp[l][0]) for l in range(NLd)],
            "cross_attention": [nested_round(cp[l][0]) for l in range(NLd)],
            "encoder_last_hidden_state_sample": nested_round(enc_h[0, :, :8]),
            "logits_argmax": lg[0].argmax(-1).tolist(),
            "logits_sample": logits_sample(lg[0], [0, len(dec_ids) - 1]),
        },
    }
    write_compact_json(os.path.join(out_dir, "reference.json"), reference)
