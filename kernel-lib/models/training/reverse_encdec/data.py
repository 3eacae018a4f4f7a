"""The reversal task: random word sequences and their reverse, batched for the encoder-decoder."""

import numpy as np
import torch

from ..tokenizer_files import build_vocab

ED_SPECIALS = ["<pad>", "<s>", "</s>", "<unk>"]
ED_WORDS = (
    "one two three four five six seven eight nine ten red green blue black white pink gray brown "
    "cat dog fox owl bee cow pig hen ant bat sun moon star rain snow wind fire ice tree leaf rock sand"
).split()


def ed_vocab():
    return build_vocab(ED_SPECIALS, ED_WORDS)


def ed_batch(rng, B, vocab, min_len, max_len):
    """B sources of min_len..max_len random words + </s>, padded -> source ids, source mask, decoder input
    (<s> + reversed words), labels (reversed words + </s>, -100 on padding), and the word id sequences."""
    first = len(ED_SPECIALS)
    V = len(vocab)
    lens = rng.integers(min_len, max_len + 1, size=B)
    S = int(lens.max()) + 1
    src = np.zeros((B, S), dtype=np.int64)
    mask = np.zeros((B, S), dtype=np.int64)
    dec_in = np.zeros((B, S), dtype=np.int64)
    labels = np.full((B, S), -100, dtype=np.int64)
    seqs = []
    for b, n in enumerate(lens):
        n = int(n)
        x = rng.integers(first, V, size=n)
        seqs.append(x)
        src[b, :n] = x
        src[b, n] = vocab["</s>"]
        mask[b, : n + 1] = 1
        y = x[::-1]
        dec_in[b, 0] = vocab["<s>"]
        dec_in[b, 1 : n + 1] = y
        labels[b, :n] = y
        labels[b, n] = vocab["</s>"]
    t = torch.from_numpy
    return t(src), t(mask), t(dec_in), t(labels), seqs
