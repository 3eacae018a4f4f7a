"""tiny-induction-gpt's reference.json: tokenizer samples, and torch attention and logits on a repeated word list."""

import os

import torch

from ..attention_sites import reference_site
from ..output_files import write_compact_json
from ..reference_json import logits_sample, word_level_sample
from ..rounding import nested_round
from .export import BOS

DEMO_WORDS = "tiger apple ocean stone violin lemon tower spoon tiger apple ocean stone violin lemon tower spoon"
SAMPLE_TEXTS = [DEMO_WORDS, "a b c d e a b c d", "The Tiger ate an APPLE", "zebra x y z zebra x y"]


def write_reference(out_dir, model, vocab, patterns):
    inv = {i: t for t, i in vocab.items()}
    demo = [vocab[BOS]] + [vocab[w] for w in DEMO_WORDS.split()]
    dx = torch.tensor([demo])
    with torch.no_grad():
        lg, pr = model(dx, torch.ones_like(dx))
    pr = torch.stack(pr, 1)[0]
    lg = lg[0]
    NL = pr.shape[0]
    reference = {
        "tokenizer_samples": [word_level_sample(text, vocab, bos=BOS) for text in SAMPLE_TEXTS],
        "probe": {
            "text": DEMO_WORDS, "tokens": [inv[i] for i in demo], "input_ids": demo, "attention_mask": [1] * len(demo),
            "sites": [reference_site("decoder", "self", l, patterns[l]["softmax"]) for l in range(NL)],
            "attention": [nested_round(pr[l]) for l in range(NL)],
            "logits_argmax": lg.argmax(-1).tolist(),
            "predicted_tokens": [inv[i] for i in lg.argmax(-1).tolist()],
            "logits_sample": logits_sample(lg, [0, len(demo) // 2, len(demo) - 1]),
        },
    }
    write_compact_json(os.path.join(out_dir, "reference.json"), reference)
