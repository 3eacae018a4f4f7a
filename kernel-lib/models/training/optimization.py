"""Seeding, the learning-rate schedule and the optimizer step shared by the three training loops."""

import math
import random

import numpy as np
import torch


def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def warmup_cosine(step, total, warmup, base_lr):
    """Linear warmup, then cosine decay to 10% of base_lr."""
    if step < warmup:
        return base_lr * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return base_lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def set_learning_rate(opt, lr):
    for g in opt.param_groups:
        g["lr"] = lr


def optimizer_step(opt, loss, clipped_params):
    """Backward, clip the gradient norm of `clipped_params` to 1, step. The GPT run clips the model's
    parameters only, not its training-only probe's, so the clipped set is passed in."""
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(clipped_params, 1.0)
    opt.step()
