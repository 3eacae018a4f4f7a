"""tiny-agreement-bert: a BERT-style masked LM on a synthetic language with subject-verb agreement and
pronoun-antecedent links, trained so that some heads attend from verb to subject and pronoun to antecedent."""

from .pipeline import train_and_export

__all__ = ["train_and_export"]
