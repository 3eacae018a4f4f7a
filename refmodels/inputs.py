"""Inputs the cases share: padded id batches, position ids, empty key/value caches."""
from __future__ import annotations

import numpy as np
import torch


def id_batch(vocab: int, lengths: list[int], pad: str = "right", pad_id: int = 0, seed: int = 1, low: int = 3):
    """input_ids and attention_mask [batch, max(lengths)], ids in [low, vocab), padded on `pad`'s side."""
    rng = np.random.default_rng(seed)
    width = max(lengths)
    ids = np.full((len(lengths), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(lengths), width), dtype=np.int64)
    for b, n in enumerate(lengths):
        span = slice(width - n, width) if pad == "left" else slice(0, n)
        ids[b, span] = rng.integers(low, vocab, n)
        mask[b, span] = 1
    return torch.from_numpy(ids), torch.from_numpy(mask)


def positions_from_mask(mask: torch.Tensor) -> torch.Tensor:
    """What generate() feeds a left-padded batch: positions count real tokens only (pads get 0, or 1)."""
    pos = mask.long().cumsum(-1) - 1
    return pos.masked_fill(mask == 0, 1)


def empty_cache(layers: int, batch: int, kv_heads: int, head_dim: int, prefix: str = "past_key_values") -> dict:
    """Zero-length past key/value feeds, as a with-past export wants on its first step."""
    z = np.zeros((batch, kv_heads, 0, head_dim), dtype=np.float32)
    return {f"{prefix}.{i}.{kv}": z for i in range(layers) for kv in ("key", "value")}
