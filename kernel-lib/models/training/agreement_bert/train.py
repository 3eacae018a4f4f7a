"""The tiny-agreement-bert training run: masked LM plus the auxiliary which-noun objective."""

import time

import torch
import torch.nn.functional as F

from ..optimization import optimizer_step, set_learning_rate, warmup_cosine
from .batches import bert_batch
from .grammar import BertGrammar

BATCH_SIZE = 96
LEARNING_RATE = 2e-3
WARMUP_STEPS = 300


def model_config(vocab_size):
    return {
        "vocab_size": vocab_size,
        "hidden_size": 64,
        "num_hidden_layers": 4,
        "num_attention_heads": 4,
        "intermediate_size": 256,
        "max_position_embeddings": 64,
        "type_vocab_size": 2,
    }


def train(model, vocab, noun_index, rng, steps, t_start):
    """Trains in place; `rng` drives both the sentence generator and the masking."""
    opt = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    # the seed pair (animal, street) never co-occurs in training
    gram = BertGrammar(rng, exclude_pair={"animal", "street"})
    n_nouns = model.aux.out_features
    model.train()
    for step in range(steps):
        set_learning_rate(opt, warmup_cosine(step, steps, WARMUP_STEPS, LEARNING_RATE))
        exs = [gram.sample() for _ in range(BATCH_SIZE)]
        inp, types, mask, labels, aux_labels, _ = bert_batch(exs, vocab, noun_index, rng)
        logits, h, _ = model(inp, mask, types)
        mlm = F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1), ignore_index=-100)
        aux = F.cross_entropy(model.aux(h).view(-1, n_nouns), aux_labels.view(-1), ignore_index=-100)
        loss = mlm + aux
        optimizer_step(opt, loss, model.parameters())
        if step % 250 == 0 or step == steps - 1:
            print(f"[bert] step {step} loss {loss.item():.3f} mlm {mlm.item():.3f} aux {aux.item():.3f} ({time.time() - t_start:.0f}s)", flush=True)
