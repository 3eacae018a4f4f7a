"""The induction task's tokens and sequences: random tokens in which segments repeat."""

import numpy as np
import torch

from ..tokenizer_files import build_vocab

GPT_SPECIALS = ["<|endoftext|>", "<unk>"]
GPT_WORDS = (
    "apple banana bread butter candle castle cloud coffee copper desert dragon eagle engine feather "
    "forest garden ghost glass guitar hammer honey island jacket jungle kettle ladder lantern lemon "
    "marble meadow mirror monkey needle ocean orange pencil pepper pillow planet pocket rabbit rocket "
    "saddle silver spider spoon stone sugar summer table ticket tiger tomato tower turtle velvet violin "
    "wagon water window winter wizard yellow zebra anchor basket bottle cactus cherry dolphin"
).split()
GPT_LETTERS = list("abcdefghijklmnopqrstuvwxyz")


def gpt_vocab():
    return build_vocab(GPT_SPECIALS, GPT_LETTERS + GPT_WORDS)


def gpt_batch(rng, B, T, n_special, V):
    """Random tokens with repeats. T counts the leading <|endoftext|>. Half the sequences contain one
    random segment followed immediately by its copy; the other half become periodic after a random
    prefix (a random segment of 4-20 tokens repeated until the end)."""
    x = rng.integers(n_special, V, size=(B, T))
    x[:, 0] = 0
    for b in range(B):
        if rng.random() < 0.5:
            L = int(rng.integers(4, (T - 1) // 2 + 1))
            s = int(rng.integers(1, T - 2 * L + 1))
            x[b, s + L : s + 2 * L] = x[b, s : s + L]
        else:
            L = int(rng.integers(4, 21))
            s = int(rng.integers(1, L + 1))
            for j in range(s + L, T):
                x[b, j] = x[b, j - L]
    return torch.from_numpy(x)


def repeated_segment_sequences(rng, n, L, V, n_special):
    """n sequences [BOS] S S, S of L distinct content tokens."""
    x = np.zeros((n, 2 * L + 1), dtype=np.int64)
    for b in range(n):
        s = rng.choice(np.arange(n_special, V), size=L, replace=False)
        x[b, 1 : L + 1] = s
        x[b, L + 1 :] = s
    return torch.from_numpy(x)


def random_sequences(rng, n, T, V, n_special):
    """n sequences [BOS] + T-1 distinct content tokens (no repeats)."""
    return torch.from_numpy(np.concatenate([np.zeros((n, 1), dtype=np.int64),
                                            np.stack([rng.choice(np.arange(n_special, V), size=T - 1, replace=False) for _ in range(n)])], 1))
