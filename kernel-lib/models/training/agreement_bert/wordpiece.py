"""The BERT tokenizer of tokenizer.json (BertNormalizer + BertPreTokenizer + WordPiece), in Python,
for the ASCII text of this language."""

import re

_PUNCT_RE = re.compile(r"[^\s\w]|_", re.UNICODE)


def bert_basic_tokenize(text):
    """BertNormalizer(lowercase) + BertPreTokenizer, for the ASCII text used here."""
    text = text.lower()
    out = []
    for word in text.split():
        cur = ""
        for ch in word:
            if _PUNCT_RE.match(ch):
                if cur:
                    out.append(cur)
                    cur = ""
                out.append(ch)
            else:
                cur += ch
        if cur:
            out.append(cur)
    return out


def wordpiece(words, vocab, unk="[UNK]"):
    out = []
    for w in words:
        start = 0
        pieces = []
        bad = False
        while start < len(w):
            end = len(w)
            cur = None
            while start < end:
                sub = w[start:end]
                if start > 0:
                    sub = "##" + sub
                if sub in vocab:
                    cur = sub
                    break
                end -= 1
            if cur is None:
                bad = True
                break
            pieces.append(cur)
            start = end
        out.extend([unk] if bad else pieces)
    return out


def bert_tokenize(text, vocab, pair=None):
    a = wordpiece(bert_basic_tokenize(text), vocab)
    toks = ["[CLS]"] + a + ["[SEP]"]
    types = [0] * len(toks)
    if pair is not None:
        b = wordpiece(bert_basic_tokenize(pair), vocab)
        toks += b + ["[SEP]"]
        types += [1] * (len(b) + 1)
    return toks, types
