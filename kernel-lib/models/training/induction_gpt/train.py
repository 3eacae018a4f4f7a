"""The tiny-induction-gpt training run: next-token loss, plus an early previous-token probe on layer 0."""

import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..optimization import optimizer_step, set_learning_rate, warmup_cosine
from ..rounding import r4
from .data import gpt_batch
from .model import GPT2LMHeadModel, sinusoidal
from .repeat_eval import gpt_repeat_eval

BATCH_SIZE = 32
LEARNING_RATE = 3e-3
WARMUP_STEPS = 100
PROBE_WEIGHT = 0.2


def model_config(vocab_size):
    return {"vocab_size": vocab_size, "n_embd": 64, "n_head": 4, "n_layer": 2, "n_positions": 64}


def build_model(cfg):
    model = GPT2LMHeadModel(cfg)  # PyTorch default init; wpe starts sinusoidal (still trained)
    with torch.no_grad():
        model.transformer.wpe.weight.copy_(sinusoidal(cfg["n_positions"], cfg["n_embd"]))
    return model


def probe_steps(steps):
    """The probe is on for the first third of training only."""
    return steps // 3


def train(model, cfg, rng, steps, n_special, t_start):
    """Trains in place -> the training curve (train loss and the repeat test every 100 steps)."""
    V, T = cfg["vocab_size"], cfg["n_positions"]
    # training-only probe: predict token i-1 from the residual stream after layer 0 at position i
    probe = nn.Linear(cfg["n_embd"], V)
    aux_steps = probe_steps(steps)
    opt = torch.optim.AdamW(list(model.parameters()) + list(probe.parameters()), lr=LEARNING_RATE, weight_decay=0.0)
    model.train()
    curve = []
    for step in range(steps):
        set_learning_rate(opt, warmup_cosine(step, steps, WARMUP_STEPS, LEARNING_RATE))
        x = gpt_batch(rng, BATCH_SIZE, T, n_special, V)
        # forward by hand to reach the layer-0 residual stream
        pos = torch.arange(0, T, dtype=torch.long).unsqueeze(0)
        resid = model.transformer.wte(x) + model.transformer.wpe(pos)
        m = torch.zeros(1, 1, 1, T)
        resid0, _ = model.transformer.h[0](resid, m)
        resid1, _ = model.transformer.h[1](resid0, m)
        logits = model.lm_head(model.transformer.ln_f(resid1))
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), x[:, 1:].reshape(-1))
        total = loss
        if step < aux_steps:
            aux = F.cross_entropy(probe(resid0[:, 1:]).reshape(-1, V), x[:, :-1].reshape(-1))
            total = loss + PROBE_WEIGHT * aux
        optimizer_step(opt, total, model.parameters())
        if step % 100 == 0 or step == steps - 1:
            model.eval()
            f, s, a, _, _ = gpt_repeat_eval(model, np.random.default_rng(5), 64, 30, V, n_special)
            model.train()
            curve.append({"step": step, "train_loss": r4(loss.item()), "first_half_loss": r4(f), "second_half_loss": r4(s), "second_half_top1": r4(a)})
            print(f"[gpt] step {step} loss {loss.item():.3f} repeat-eval first {f:.3f} second {s:.3f} acc {a:.3f} ({time.time() - t_start:.0f}s)", flush=True)
    return curve
