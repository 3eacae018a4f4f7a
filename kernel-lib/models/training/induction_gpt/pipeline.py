"""tiny-induction-gpt from seed to files: train, run the repeat test, measure and ablate heads, export, write the card."""

import json
import os
import time

import numpy as np

from ..optimization import set_seed
from .data import GPT_SPECIALS, gpt_vocab
from .export import export_model, write_tokenizer_and_config
from .head_scores import measure_heads
from .heads_json import write_heads_json
from .model_card import write_model_card
from .reference import write_reference
from .roles import ablate_heads, find_roles
from .train import build_model, model_config, train

SEED = 2024


def train_and_export(out_dir, threads, quick=False):
    t_start = time.time()
    set_seed(SEED)
    rng = np.random.default_rng(SEED)
    vocab = gpt_vocab()
    n_special = len(GPT_SPECIALS)
    cfg = model_config(len(vocab))
    model = build_model(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    steps = 200 if quick else 3000
    curve = train(model, cfg, rng, steps, n_special, t_start)
    train_time = time.time() - t_start
    model.eval()

    repeat, metrics, tables, xs = measure_heads(model, cfg, n_special)
    roles = find_roles(tables)
    ablation = ablate_heads(model, cfg, n_special, roles)

    os.makedirs(out_dir, exist_ok=True)
    patterns = export_model(model, xs, out_dir)
    write_tokenizer_and_config(out_dir, vocab, cfg)
    write_reference(out_dir, model, vocab, patterns)
    heads = write_heads_json(out_dir, patterns, tables, roles, ablation, metrics, curve)
    total_time = time.time() - t_start
    run = {"n_params": n_params, "steps": steps, "threads": threads, "train_time": train_time, "total_time": total_time}
    write_model_card(out_dir, cfg, n_special, run, repeat, tables, roles, ablation[2], curve, patterns)
    print(f"[gpt] done in {total_time:.0f}s; metrics {json.dumps(metrics)}")
    print(f"[gpt] roles: {json.dumps(roles)}")
    return heads
