"""tiny-reverse-encdec from seed to files: train, evaluate, measure and name heads, export, write the card."""

import json
import os
import time

import numpy as np

from ..optimization import set_seed
from .data import ed_vocab
from .evaluate import evaluate
from .export import export_models, write_tokenizer_and_config
from .head_scores import measure_head_scores
from .heads_json import write_heads_json
from .model import BartForConditionalGeneration, hf_init
from .model_card import write_model_card
from .reference import write_reference
from .roles import find_roles
from .train import model_config, train

SEED = 77


def train_and_export(out_dir, threads, quick=False):
    t_start = time.time()
    set_seed(SEED)
    rng = np.random.default_rng(SEED)
    vocab = ed_vocab()
    cfg = model_config(vocab)
    model = BartForConditionalGeneration(cfg)
    hf_init(model)
    n_params = sum(p.numel() for p in model.parameters())
    steps = 200 if quick else 3000
    curve = train(model, vocab, rng, steps, t_start)
    train_time = time.time() - t_start
    model.eval()

    metrics, seqs, probs = evaluate(model, vocab)
    tables = measure_head_scores(seqs, probs)
    roles = find_roles(tables)

    os.makedirs(out_dir, exist_ok=True)
    enc_pat, dec_pat = export_models(model, vocab, out_dir)
    write_tokenizer_and_config(out_dir, vocab, cfg)
    write_reference(out_dir, model, vocab, enc_pat, dec_pat)
    heads = write_heads_json(out_dir, enc_pat, dec_pat, tables, roles, metrics, curve)
    total_time = time.time() - t_start
    run = {"n_params": n_params, "steps": steps, "threads": threads, "train_time": train_time, "total_time": total_time}
    write_model_card(out_dir, cfg, vocab, run, metrics, tables, roles, curve, enc_pat, dec_pat)
    print(f"[encdec] done in {total_time:.0f}s; metrics {json.dumps(metrics)}")
    print(f"[encdec] roles: {json.dumps(roles)}")
    return heads
