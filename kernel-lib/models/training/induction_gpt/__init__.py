"""tiny-induction-gpt: a two-layer attention-only GPT-2 trained on random tokens with repeated segments,
in which a previous-token head and an induction head form."""

from .pipeline import train_and_export

__all__ = ["train_and_export"]
