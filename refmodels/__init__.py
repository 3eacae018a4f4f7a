"""Reference harness: export models with optimum, record transformers' own eager attentions.

`python -m refmodels build --out .cache/refmodels` writes one folder per case (see README.md).
"""
