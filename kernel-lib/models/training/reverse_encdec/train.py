"""The tiny-reverse-encdec training run: teacher-forced cross-entropy on reversal batches."""

import time

import torch
import torch.nn.functional as F

from ..optimization import optimizer_step, set_learning_rate, warmup_cosine
from ..rounding import r4
from .data import ed_batch

BATCH_SIZE = 64
LEARNING_RATE = 2e-3
WARMUP_STEPS = 200
MIN_WORDS, MAX_WORDS = 3, 16


def model_config(vocab):
    return {
        "vocab_size": len(vocab), "d_model": 64, "encoder_layers": 2, "decoder_layers": 2,
        "encoder_attention_heads": 4, "decoder_attention_heads": 4,
        "encoder_ffn_dim": 256, "decoder_ffn_dim": 256, "max_position_embeddings": 32,
        "pad_token_id": vocab["<pad>"],
    }


def train(model, vocab, rng, steps, t_start):
    """Trains in place -> the training curve (loss and teacher-forced exact match every 250 steps)."""
    V = len(vocab)
    opt = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    curve = []
    model.train()
    for step in range(steps):
        set_learning_rate(opt, warmup_cosine(step, steps, WARMUP_STEPS, LEARNING_RATE))
        src, mask, dec_in, labels, _ = ed_batch(rng, BATCH_SIZE, vocab, MIN_WORDS, MAX_WORDS)
        logits, _, _, _ = model(src, mask, dec_in)
        loss = F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), ignore_index=-100)
        optimizer_step(opt, loss, model.parameters())
        if step % 250 == 0 or step == steps - 1:
            tok_acc = ((logits.argmax(-1) == labels) | (labels < 0)).all(-1).float().mean().item()
            curve.append({"step": step, "train_loss": r4(loss.item()), "teacher_forced_exact": r4(tok_acc)})
            print(f"[encdec] step {step} loss {loss.item():.4f} tf-exact {tok_acc:.3f} ({time.time() - t_start:.0f}s)", flush=True)
    return curve
