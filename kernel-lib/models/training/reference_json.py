"""Pieces of reference.json that the Node-side tests compare against (tokenizer samples, logits)."""

from .rounding import nested_round


def logits_sample(logits, positions):
    """The first 16 vocabulary scores at a few positions of one sequence's [sequence, vocab] logits."""
    return {"positions": positions, "values": [nested_round(logits[p, :16]) for p in positions]}


def word_level_sample(text, vocab, bos=None, eos=None):
    """What the word-level tokenizer.json gives for `text`: lowercase, split on whitespace, unknown
    words -> <unk>, plus the template's bos/eos token."""
    toks = [t if t in vocab else "<unk>" for t in text.lower().split()]
    toks = ([bos] if bos else []) + toks + ([eos] if eos else [])
    return {"text": text, "tokens": toks, "ids": [vocab[t] for t in toks]}
