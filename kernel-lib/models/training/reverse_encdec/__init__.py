"""tiny-reverse-encdec: a small BART-style encoder-decoder trained to reverse a word sequence, so that its
cross-attention follows a known anti-diagonal alignment."""

from .pipeline import train_and_export

__all__ = ["train_and_export"]
