#!/usr/bin/python3
"""Train and export the attnlens demo models.

Run with the Debian interpreter that has torch 1.13 + onnx 1.12:

    /usr/bin/python3 kernel-lib/models/train_demo_models.py            # all three
    /usr/bin/python3 kernel-lib/models/train_demo_models.py bert gpt   # some, by name
    /usr/bin/python3 kernel-lib/models/train_demo_models.py --threads 2 encdec

Names: bert (tiny-agreement-bert), gpt (tiny-induction-gpt), encdec (tiny-reverse-encdec).

Every model directory gets: the ONNX file(s) (torch.onnx.export, opset 14, dynamic batch and
sequence axes, Hugging Face optimum layouts, no attention outputs), tokenizer.json (Hugging Face
tokenizers format), tokenizer_config.json, config.json, heads.json (head roles measured on held-out
data from the torch module's own attention probabilities), reference.json (a few tokenized texts
with their ids, plus torch attention probabilities and logits for one probe input, for tests) and
README.md (model card). Seeds are fixed; with the same torch build, BLAS and thread count the
outputs are reproducible.

Speed: Debian's torch 1.13 links the reference BLAS (`BLAS_INFO=generic`), ~10x slower than
OpenBLAS for these matrix sizes. The committed models were trained with OpenBLAS swapped in for
this process only (the Debian package unpacked with `dpkg -x`, nothing installed):

    dpkg -x /var/cache/apt/archives/libopenblas0-pthread_*.deb /tmp/openblas
    OPENBLAS_NUM_THREADS=1 LD_LIBRARY_PATH=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread \
        /usr/bin/python3 kernel-lib/models/train_demo_models.py

At ~10 steps/s (an idle core) bert takes ~7 min, gpt ~5 min, encdec ~5 min; on the shared 2-vCPU
machine the committed runs took longer (the model cards give the measured times). Then check
the exports from Node: `node kernel-lib/models/verify_demo_models.mjs`.
"""

import argparse
import json
import math
import os
import random
import re
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 14


# ----------------------------------------------------------------------------------------------
# shared helpers
# ----------------------------------------------------------------------------------------------


def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def write_compact_json(path, obj):
    """One line per top-level key's item: small enough to diff, no pretty-printed float walls."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")


def special(id_, content):
    return {
        "id": id_,
        "content": content,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": False,
        "special": True,
    }


def r4(x):
    return float(round(float(x), 4))


def nested_round(a, nd=5):
    return np.round(np.asarray(a, dtype=np.float64), nd).tolist()


def warmup_cosine(step, total, warmup, base_lr):
    if step < warmup:
        return base_lr * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return base_lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def export_onnx(module, args, path, input_names, output_names, dynamic_axes):
    import onnx

    module.eval()
    with torch.no_grad():
        torch.onnx.export(
            module,
            args,
            path,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
            do_constant_folding=True,
        )
    model = onnx.load(path)
    onnx.checker.check_model(model)
    return model


def softmax_patterns(model):
    """For each Softmax node: the op path from the scores MatMul(Q, K^T) to the Softmax, the ops that
    feed side inputs on that path (masks), and the ops consuming the probabilities."""
    g = model.graph
    producer = {}
    consumers = {}
    for n in g.node:
        for o in n.output:
            producer[o] = n
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def path_to_matmul(node, depth):
        if node.op_type == "MatMul":
            return [node]
        if depth == 0:
            return None
        for i in node.input:
            p = producer.get(i)
            if p is None or p.op_type == "Constant":
                continue
            r = path_to_matmul(p, depth - 1)
            if r is not None:
                return r + [node]
        return None

    out = []
    for n in g.node:
        if n.op_type != "Softmax":
            continue
        axis = [a.i for a in n.attribute if a.name == "axis"]
        path = path_to_matmul(n, 6) or [n]
        on_path = {id(x) for x in path}
        side = []
        for x in path[1:]:
            for i in x.input:
                p = producer.get(i)
                if p is not None and id(p) not in on_path and p.op_type != "Constant":
                    side.append(f"{x.op_type}<-{p.op_type}")
        down = [c.op_type for c in consumers.get(n.output[0], [])]
        out.append(
            {
                "softmax": n.name,
                "axis": axis[0] if axis else None,
                "pattern": " -> ".join([x.op_type for x in path] + ["|".join(down)]),
                "side_inputs": side,
                "scores_matmul": path[0].name,
                "scores_matmul_inputs": [producer[i].op_type if i in producer else "graph input" for i in path[0].input],
                "consumers": down,
            }
        )
    return out


def file_mb(path):
    return os.path.getsize(path) / 1e6


def dir_size_mb(d):
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)) / 1e6


def fmt_table(rows, header):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        lines.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(lines)


def per_head_table(scores, fmt="{:.2f}"):
    """scores: [layers][heads] -> markdown rows."""
    L = len(scores)
    H = len(scores[0])
    rows = []
    for l in range(L):
        rows.append([f"layer {l}"] + [fmt.format(scores[l][h]) for h in range(H)])
    return fmt_table(rows, [""] + [f"head {h}" for h in range(H)])


# ----------------------------------------------------------------------------------------------
# 1. tiny-agreement-bert
# ----------------------------------------------------------------------------------------------

BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

ANIMATE = [
    ("animal", "animals"), ("dog", "dogs"), ("cat", "cats"), ("horse", "horses"),
    ("boy", "boys"), ("girl", "girls"), ("teacher", "teachers"), ("farmer", "farmers"),
    ("bird", "birds"), ("child", "children"), ("man", "men"), ("woman", "women"),
]
PLACES = [
    ("street", "streets"), ("road", "roads"), ("river", "rivers"), ("bridge", "bridges"),
    ("field", "fields"), ("hill", "hills"), ("path", "paths"), ("lake", "lakes"),
]
THINGS = [
    ("box", "boxes"), ("rock", "rocks"), ("table", "tables"), ("bag", "bags"),
    ("chair", "chairs"), ("log", "logs"), ("car", "cars"), ("ball", "balls"),
]
INANIMATE = PLACES + THINGS
ANIM_ADJ = ["tired", "scared", "weak", "slow", "sick", "lazy", "hungry", "sleepy"]
INANIM_ADJ = ["wide", "long", "busy", "dark", "heavy", "big", "steep", "wet", "full", "far"]
PLACE_VERBS = ["cross", "reach", "enter", "leave", "find", "climb"]
THING_VERBS = ["lift", "carry", "move", "push", "hold", "pull"]
TO_ANIM_VERBS = ["fit", "help", "hurt", "scare", "please", "suit"]
NEG_PAST = [("didn", "didn"), ("couldn", "couldn"), ("wouldn", "wouldn")]
NEG_PRES = [("doesn", "don"), ("can", "can")]  # singular/plural forms: "doesn't"/"don't", "can't"
CONNECTIVES = ["because", "since"]
PREPS = ["near", "behind", "beside", "under", "above", "with"]
RC_VERBS = [("likes", "like"), ("sees", "see"), ("knows", "know"), ("follows", "follow"), ("watches", "watch")]
COPULAS = [("is", "are"), ("was", "were")]
INTRANS = [("sleeps", "sleep"), ("walks", "walk"), ("waits", "wait"), ("stays", "stay"), ("runs", "run")]
ADVERBS = ["here", "there", "today", "again", "outside"]
PERFECT = [("has", "have")]
PARTICIPLES = ["arrived", "left", "gone", "waited"]
FUNCTION_WORDS = ["the", "that", "too", "it", "they", "'", "t", ".", ","]

# the seed sentence must tokenize exactly with this vocabulary
SEED_SENTENCE = "The animal didn't cross the street because it was too tired."


def bert_vocab():
    words = []

    def add(w):
        if w not in words:
            words.append(w)

    for w in FUNCTION_WORDS:
        add(w)
    for s, p in ANIMATE + INANIMATE:
        add(s)
        add(p)
    for w in ANIM_ADJ + INANIM_ADJ + PLACE_VERBS + THING_VERBS + TO_ANIM_VERBS + CONNECTIVES + PREPS:
        add(w)
    for a, b in NEG_PAST + NEG_PRES + RC_VERBS + COPULAS + INTRANS + PERFECT:
        add(a)
        add(b)
    for w in ADVERBS + PARTICIPLES:
        add(w)
    # a few WordPiece continuation pieces so that unseen plurals/verb forms do not all become [UNK]
    for w in ["##s", "##es", "##ed", "##ing", "##n"]:
        add(w)
    vocab = {t: i for i, t in enumerate(BERT_SPECIALS)}
    for w in words:
        vocab[w] = len(vocab)
    return vocab


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


def surface(tokens):
    """Turn a list of (lowercase) word tokens into an English-looking sentence."""
    s = " ".join(tokens)
    s = s.replace(" ' t", "'t").replace(" .", ".").replace(" ,", ",")
    return s[0].upper() + s[1:]


def bert_tokenizer_json(vocab):
    sp = {t: vocab[t] for t in BERT_SPECIALS}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special(sp[t], t) for t in BERT_SPECIALS],
        "normalizer": {
            "type": "BertNormalizer",
            "clean_text": True,
            "handle_chinese_chars": True,
            "strip_accents": None,
            "lowercase": True,
        },
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 1}},
            ],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [sp["[CLS]"]], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [sp["[SEP]"]], "tokens": ["[SEP]"]},
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {
            "type": "WordPiece",
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": vocab,
        },
    }


def bert_tokenizer_config(max_len):
    return {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": True,
        "model_max_length": max_len,
        "cls_token": "[CLS]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "mask_token": "[MASK]",
        "unk_token": "[UNK]",
        "clean_up_tokenization_spaces": True,
        "added_tokens_decoder": {
            str(i): {k: v for k, v in special(i, t).items() if k != "id"} for i, t in enumerate(BERT_SPECIALS)
        },
    }


class BertGrammar:
    """Generates sentences of the synthetic language with annotations.

    Every example is a dict: tokens (words, no [CLS]/[SEP]), pair_split (index where segment B
    starts, or None), kind ("agree" | "coref"), and positions: for "agree" the main verb `verb`,
    its subject `subj` and the attractor noun `attr` (or None); for "coref" the pronoun `pron`,
    its antecedent `ante` and the other noun `distr`, plus `be` (the copula after the pronoun).
    Aux targets: list of (position, noun token) pairs the aux head must predict.
    """

    def __init__(self, rng, exclude_pair=None):
        self.rng = rng
        self.exclude_pair = exclude_pair  # set of two singular nouns that never co-occur

    def c(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def noun(self, table):
        s, p = self.c(table)
        pl = self.rng.random() < 0.5
        return (p if pl else s), pl, s

    def excluded(self, *lemmas):
        return self.exclude_pair is not None and self.exclude_pair <= set(lemmas)

    def coref(self, force=None):
        r = self.rng
        while True:
            frame = r.randrange(3) if force is None else force.get("frame", 0)
            if frame == 0:
                subj_tab, obj_tab, verbs = ANIMATE, PLACES, PLACE_VERBS
            elif frame == 1:
                subj_tab, obj_tab, verbs = ANIMATE, THINGS, THING_VERBS
            else:
                subj_tab, obj_tab, verbs = INANIMATE, ANIMATE, TO_ANIM_VERBS
            n1, pl1, l1 = self.noun(subj_tab)
            n2, pl2, l2 = self.noun(obj_tab)
            if not self.excluded(l1, l2):
                break
        ante_is_subj = r.random() < 0.5
        subj_animate = subj_tab is ANIMATE
        ante_animate = subj_animate if ante_is_subj else not subj_animate
        adj = self.c(ANIM_ADJ if ante_animate else INANIM_ADJ)
        present = r.random() < 0.3
        if present:
            sg, pl = self.c(NEG_PRES)
            neg = pl if pl1 else sg
        else:
            neg = self.c(NEG_PAST)[0]
        ante_pl = pl1 if ante_is_subj else pl2
        pron = "they" if ante_pl else "it"
        be = (COPULAS[0] if present else COPULAS[1])[1 if ante_pl else 0]
        verb = self.c(verbs)
        head = ["the", n1, neg, "'", "t", verb, "the", n2]
        tail = [pron, be, "too", adj, "."]
        pair = r.random() < 0.25
        if pair:
            tokens = head + ["."] + tail
            split = len(head) + 1
        else:
            tokens = head + [self.c(CONNECTIVES)] + tail
            split = None
        pos_n1, pos_n2 = 1, 7
        p_pron = len(head) + 1
        ex = {
            "kind": "coref",
            "tokens": tokens,
            "pair_split": split,
            "pron": p_pron,
            "be": p_pron + 1,
            "ante": pos_n1 if ante_is_subj else pos_n2,
            "distr": pos_n2 if ante_is_subj else pos_n1,
            "same_number": pl1 == pl2,
            "ante_is_subj": ante_is_subj,
            "ante_animate": ante_animate,
        }
        ex["aux"] = [(p_pron, tokens[ex["ante"]])]
        ex["mlm_targets"] = [p_pron]
        return ex

    def agree(self):
        r = self.rng
        n1, pl1, l1 = self.noun(ANIMATE + INANIMATE)
        toks = ["the", n1]
        attr = None
        aux = []
        u = r.random()
        if u < 0.45:  # prepositional phrase(s)
            n2, pl2, _ = self.noun(ANIMATE + INANIMATE)
            toks += [self.c(PREPS), "the", n2]
            attr = len(toks) - 1
            if r.random() < 0.25:
                n3, _, _ = self.noun(ANIMATE + INANIMATE)
                toks += [self.c(PREPS), "the", n3]
        elif u < 0.85:  # relative clause
            n2, pl2, _ = self.noun(ANIMATE + INANIMATE)
            v = self.c(RC_VERBS)
            if r.random() < 0.5:  # object relative: that the N2 V(N2)
                toks += ["that", "the", n2, v[1 if pl2 else 0]]
                attr = len(toks) - 2
                aux.append((len(toks) - 1, n2))
            else:  # subject relative: that V(N1) the N2
                toks += ["that", v[1 if pl1 else 0], "the", n2]
                attr = len(toks) - 1
                aux.append((len(toks) - 3, n1))
        verb_pos = len(toks)
        k = r.random()
        if k < 0.45:
            toks += [self.c(COPULAS)[1 if pl1 else 0], self.c(ANIM_ADJ + INANIM_ADJ)]
        elif k < 0.8:
            toks += [self.c(INTRANS)[1 if pl1 else 0], self.c(ADVERBS)]
        else:
            toks += [PERFECT[0][1 if pl1 else 0], self.c(PARTICIPLES)]
        toks.append(".")
        aux.append((verb_pos, n1))
        return {
            "kind": "agree",
            "tokens": toks,
            "pair_split": None,
            "verb": verb_pos,
            "subj": 1,
            "attr": attr,
            "attr_mismatch": attr is not None and ((toks[attr] in PLURALS) != pl1),
            "aux": aux,
            "mlm_targets": [verb_pos],
        }

    def sample(self):
        return self.coref() if self.rng.random() < 0.5 else self.agree()


PLURALS = {p for _, p in ANIMATE + INANIMATE}
NUMBER_PAIRS = {}
for _a, _b in NEG_PRES[:1] + RC_VERBS + COPULAS + INTRANS + PERFECT + [("it", "they")]:
    NUMBER_PAIRS[_a] = _b
    NUMBER_PAIRS[_b] = _a


class BertEmbeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.word_embeddings = nn.Embedding(cfg["vocab_size"], d, padding_idx=0)
        self.position_embeddings = nn.Embedding(cfg["max_position_embeddings"], d)
        self.token_type_embeddings = nn.Embedding(cfg["type_vocab_size"], d)
        self.LayerNorm = nn.LayerNorm(d, eps=1e-12)
        self.register_buffer("position_ids", torch.arange(cfg["max_position_embeddings"]).unsqueeze(0))

    def forward(self, input_ids, token_type_ids):
        seq_length = input_ids.size(1)
        position_ids = self.position_ids[:, :seq_length]
        e = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        e = e + self.position_embeddings(position_ids)
        return self.LayerNorm(e)


class BertSelfAttention(nn.Module):
    """Same op sequence as transformers' eager BertSelfAttention."""

    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.num_attention_heads = cfg["num_attention_heads"]
        self.attention_head_size = d // self.num_attention_heads
        self.all_head_size = d
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        self.value = nn.Linear(d, d)

    def transpose_for_scores(self, x):
        new_shape = x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)
        return x.view(new_shape).permute(0, 2, 1, 3)

    def forward(self, hidden_states, attention_mask):
        q = self.transpose_for_scores(self.query(hidden_states))
        k = self.transpose_for_scores(self.key(hidden_states))
        v = self.transpose_for_scores(self.value(hidden_states))
        scores = torch.matmul(q, k.transpose(-1, -2))
        scores = scores / math.sqrt(self.attention_head_size)
        scores = scores + attention_mask
        probs = F.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v)
        ctx = ctx.permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(ctx.size()[:-2] + (self.all_head_size,))
        return ctx, probs


class BertSelfOutput(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.dense = nn.Linear(d, d)
        self.LayerNorm = nn.LayerNorm(d, eps=1e-12)

    def forward(self, h, x):
        return self.LayerNorm(self.dense(h) + x)


class BertAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self = BertSelfAttention(cfg)
        self.output = BertSelfOutput(cfg)

    def forward(self, x, mask):
        h, p = self.self(x, mask)
        return self.output(h, x), p


class BertIntermediate(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["hidden_size"], cfg["intermediate_size"])

    def forward(self, x):
        return F.gelu(self.dense(x))


class BertOutput(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["intermediate_size"], cfg["hidden_size"])
        self.LayerNorm = nn.LayerNorm(cfg["hidden_size"], eps=1e-12)

    def forward(self, h, x):
        return self.LayerNorm(self.dense(h) + x)


class BertLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attention = BertAttention(cfg)
        self.intermediate = BertIntermediate(cfg)
        self.output = BertOutput(cfg)

    def forward(self, x, mask):
        a, p = self.attention(x, mask)
        return self.output(self.intermediate(a), a), p


class BertEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(cfg) for _ in range(cfg["num_hidden_layers"])])

    def forward(self, x, mask):
        probs = []
        for layer in self.layer:
            x, p = layer(x, mask)
            probs.append(p)
        return x, probs


class BertModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = BertEmbeddings(cfg)
        self.encoder = BertEncoder(cfg)

    def forward(self, input_ids, attention_mask, token_type_ids):
        ext = attention_mask[:, None, None, :].to(torch.float32)
        ext = (1.0 - ext) * torch.finfo(torch.float32).min
        return self.encoder(self.embeddings(input_ids, token_type_ids), ext)


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["hidden_size"], cfg["hidden_size"])
        self.LayerNorm = nn.LayerNorm(cfg["hidden_size"], eps=1e-12)

    def forward(self, x):
        return self.LayerNorm(F.gelu(self.dense(x)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.transform = BertPredictionHeadTransform(cfg)
        self.decoder = nn.Linear(cfg["hidden_size"], cfg["vocab_size"])

    def forward(self, x):
        return self.decoder(self.transform(x))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.predictions = BertLMPredictionHead(cfg)


class BertForMaskedLM(nn.Module):
    """Module names follow transformers' BertForMaskedLM so exported node names look familiar
    (/bert/encoder/layer.0/attention/self/Softmax). `aux` is a training-only per-token head that
    predicts which noun a pronoun / verb refers to; it is not exported."""

    def __init__(self, cfg, n_aux):
        super().__init__()
        self.bert = BertModel(cfg)
        self.cls = BertOnlyMLMHead(cfg)
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight
        self.aux = nn.Linear(cfg["hidden_size"], n_aux)

    def forward(self, input_ids, attention_mask, token_type_ids):
        h, probs = self.bert(input_ids, attention_mask, token_type_ids)
        return self.cls.predictions(h), h, probs


class BertExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.bert = m.bert
        self.cls = m.cls

    def forward(self, input_ids, attention_mask, token_type_ids):
        h, _ = self.bert(input_ids, attention_mask, token_type_ids)
        return self.cls.predictions(h)


def bert_encode_examples(exs, vocab):
    """Word tokens -> ids with [CLS]/[SEP] and token types; positions shift by 1 for [CLS]."""
    rows = []
    for ex in exs:
        words = ex["tokens"]
        if ex["pair_split"] is None:
            toks = ["[CLS]"] + words + ["[SEP]"]
            types = [0] * len(toks)
        else:
            s = ex["pair_split"]
            toks = ["[CLS]"] + words[:s] + ["[SEP]"] + words[s:] + ["[SEP]"]
            types = [0] * (s + 2) + [1] * (len(words) - s + 1)
        rows.append((toks, types))
    return rows


def shift_pos(ex, p):
    """Position of word index p in the encoded sequence ([CLS] prepended, [SEP] between pairs)."""
    q = p + 1
    if ex["pair_split"] is not None and p >= ex["pair_split"]:
        q += 1
    return q


def bert_batch(exs, vocab, noun_index, rng, train=True):
    rows = bert_encode_examples(exs, vocab)
    T = max(len(t) for t, _ in rows)
    B = len(rows)
    ids = torch.zeros(B, T, dtype=torch.long)
    types = torch.zeros(B, T, dtype=torch.long)
    mask = torch.zeros(B, T, dtype=torch.long)
    labels = torch.full((B, T), -100, dtype=torch.long)
    aux_labels = torch.full((B, T), -100, dtype=torch.long)
    inp = ids.clone()
    specials = {vocab[t] for t in BERT_SPECIALS}
    content_ids = [i for t, i in vocab.items() if t not in BERT_SPECIALS and not t.startswith("##")]
    for b, ((toks, tt), ex) in enumerate(zip(rows, exs)):
        n = len(toks)
        row = [vocab[t] for t in toks]
        ids[b, :n] = torch.tensor(row)
        types[b, :n] = torch.tensor(tt)
        mask[b, :n] = 1
        for p, noun in ex["aux"]:
            aux_labels[b, shift_pos(ex, p)] = noun_index[noun]
        if not train:
            continue
        masked = set()
        # targeted masking of the agreeing word (verb / pronoun) half of the time
        for p in ex["mlm_targets"]:
            if rng.random() < 0.5:
                masked.add(shift_pos(ex, p))
                if ex["kind"] == "coref" and rng.random() < 0.6:
                    masked.add(shift_pos(ex, ex["be"]))  # hide was/were so number must come from the antecedent
        for q in range(n):
            if row[q] in specials:
                continue
            if rng.random() < 0.12:
                masked.add(q)
        for q in masked:
            labels[b, q] = row[q]
            u = rng.random()
            if u < 0.8:
                row[q] = vocab["[MASK]"]
            elif u < 0.9:
                row[q] = content_ids[rng.randrange(len(content_ids))]
        inp[b, :n] = torch.tensor(row)
    if not train:
        inp = ids.clone()
    return inp, types, mask, labels, aux_labels, ids


def train_bert(out_dir, threads, quick=False):
    t_start = time.time()
    set_seed(1234)
    rng = random.Random(1234)
    vocab = bert_vocab()
    inv = {i: t for t, i in vocab.items()}
    nouns = [w for pair in ANIMATE + INANIMATE for w in pair]
    noun_index = {w: i for i, w in enumerate(nouns)}
    cfg = {
        "vocab_size": len(vocab),
        "hidden_size": 64,
        "num_hidden_layers": 4,
        "num_attention_heads": 4,
        "intermediate_size": 256,
        "max_position_embeddings": 64,
        "type_vocab_size": 2,
    }
    model = BertForMaskedLM(cfg, len(nouns))
    n_params = sum(p.numel() for p in model.parameters())
    steps = 300 if quick else 4000
    bs = 96
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    # the seed pair (animal, street) never co-occurs in training
    gram = BertGrammar(rng, exclude_pair={"animal", "street"})
    model.train()
    log = []
    for step in range(steps):
        lr = warmup_cosine(step, steps, 300, 2e-3)
        for g in opt.param_groups:
            g["lr"] = lr
        exs = [gram.sample() for _ in range(bs)]
        inp, types, mask, labels, aux_labels, _ = bert_batch(exs, vocab, noun_index, rng)
        logits, h, _ = model(inp, mask, types)
        mlm = F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1), ignore_index=-100)
        aux = F.cross_entropy(model.aux(h).view(-1, len(nouns)), aux_labels.view(-1), ignore_index=-100)
        loss = mlm + aux
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 250 == 0 or step == steps - 1:
            msg = f"[bert] step {step} loss {loss.item():.3f} mlm {mlm.item():.3f} aux {aux.item():.3f} ({time.time() - t_start:.0f}s)"
            print(msg, flush=True)
            log.append(msg)
    train_time = time.time() - t_start
    model.eval()

    # ---------------- held-out evaluation -------------------------------------------------
    ev_rng = random.Random(99)
    ev_gram = BertGrammar(ev_rng)
    coref_exs = [ev_gram.coref() for _ in range(1500)]
    agree_exs = [ev_gram.agree() for _ in range(1500)]

    def run(exs, masked_positions=None):
        inp, types, mask, _, aux_labels, ids = bert_batch(exs, vocab, noun_index, rng, train=False)
        if masked_positions is not None:
            inp = inp.clone()
            for b, ps in enumerate(masked_positions):
                for q in ps:
                    inp[b, q] = vocab["[MASK]"]
        with torch.no_grad():
            logits, h, probs = model(inp, mask, types)
            auxp = model.aux(h).argmax(-1)
        return ids, logits, auxp, aux_labels, torch.stack(probs, 1)  # probs [B, L, H, T, T]

    metrics = {}
    # agreement: mask the main verb; compare the right form with its other-number form
    mpos = [[shift_pos(e, e["verb"])] for e in agree_exs]
    ids, logits, auxp, auxl, _ = run(agree_exs, mpos)
    ok, ok_mis, n_mis = 0, 0, 0
    for b, e in enumerate(agree_exs):
        q = mpos[b][0]
        gold = e["tokens"][e["verb"]]
        wrong = NUMBER_PAIRS[gold]
        good = logits[b, q, vocab[gold]] > logits[b, q, vocab[wrong]]
        ok += int(good)
        if e["attr_mismatch"]:
            n_mis += 1
            ok_mis += int(good)
    metrics["agreement_accuracy"] = ok / len(agree_exs)
    metrics["agreement_accuracy_with_mismatched_attractor"] = ok_mis / max(1, n_mis)
    metrics["agreement_examples"] = len(agree_exs)
    metrics["agreement_mismatched_attractor_examples"] = n_mis
    # pronoun: mask pronoun and copula; compare it/they where the two nouns differ in number
    mpos = [[shift_pos(e, e["pron"]), shift_pos(e, e["be"])] for e in coref_exs]
    ids, logits, auxp, auxl, _ = run(coref_exs, mpos)
    okp, nd = 0, 0
    for b, e in enumerate(coref_exs):
        if e["same_number"]:
            continue
        q = mpos[b][0]
        gold = e["tokens"][e["pron"]]
        nd += 1
        okp += int(logits[b, q, vocab[gold]] > logits[b, q, vocab[NUMBER_PAIRS[gold]]])
    metrics["pronoun_number_accuracy"] = okp / max(1, nd)
    metrics["pronoun_number_examples"] = nd
    # antecedent identification by the (training-only) aux head, unmasked input
    ids, logits, auxp, auxl, probs_coref = run(coref_exs)
    sel = auxl >= 0
    metrics["aux_antecedent_accuracy"] = (auxp[sel] == auxl[sel]).float().mean().item()
    ids_a, _, auxp_a, auxl_a, probs_agree = run(agree_exs)
    vsel = torch.zeros_like(auxl_a, dtype=torch.bool)
    for b, e in enumerate(agree_exs):
        vsel[b, shift_pos(e, e["verb"])] = True
    metrics["aux_subject_accuracy"] = (auxp_a[vsel] == auxl_a[vsel]).float().mean().item()

    # ---------------- head measurements ----------------------------------------------------
    L, H = cfg["num_hidden_layers"], cfg["num_attention_heads"]

    def relation_scores(probs, exs, src_key, tgt_key, other_key, only=None):
        mean_t = np.zeros((L, H))
        mean_o = np.zeros((L, H))
        win = np.zeros((L, H))
        argmax = np.zeros((L, H))
        n = 0
        for b, e in enumerate(exs):
            if e.get(other_key) is None or (only is not None and not only(e)):
                continue
            s = shift_pos(e, e[src_key])
            t = shift_pos(e, e[tgt_key])
            o = shift_pos(e, e[other_key])
            row = probs[b, :, :, s, :].numpy()  # [L, H, T]
            mean_t += row[:, :, t]
            mean_o += row[:, :, o]
            win += row[:, :, t] > row[:, :, o]
            argmax += row.argmax(-1) == t
            n += 1
        return {"target": mean_t / n, "other": mean_o / n, "win": win / n, "argmax": argmax / n, "n": n}

    coref_s = relation_scores(probs_coref, coref_exs, "pron", "ante", "distr")
    coref_subj = relation_scores(probs_coref, coref_exs, "pron", "ante", "distr", only=lambda e: e["ante_is_subj"])
    coref_obj = relation_scores(probs_coref, coref_exs, "pron", "ante", "distr", only=lambda e: not e["ante_is_subj"])
    agree_s = relation_scores(probs_agree, agree_exs, "verb", "subj", "attr")

    # positional heads over all held-out sentences (content query positions only)
    def positional(probs_list):
        acc = {k: np.zeros((L, H)) for k in ["previous", "next", "self", "cls", "sep"]}
        n = 0
        for probs, exs in probs_list:
            rows = bert_encode_examples(exs, vocab)
            for b, (toks, _) in enumerate(rows):
                T = len(toks)
                p = probs[b, :, :, :T, :T].numpy()
                seps = [i for i, t in enumerate(toks) if t == "[SEP]"]
                for i in range(1, T - 1):
                    if toks[i] == "[SEP]":
                        continue
                    acc["previous"] += p[:, :, i, i - 1]
                    acc["next"] += p[:, :, i, i + 1]
                    acc["self"] += p[:, :, i, i]
                    acc["cls"] += p[:, :, i, 0]
                    acc["sep"] += p[:, :, i, seps].sum(-1)
                    n += 1
        return {k: v / n for k, v in acc.items()}

    pos_s = positional([(probs_coref[:500], coref_exs[:500]), (probs_agree[:500], agree_exs[:500])])

    roles = []

    def site(l):
        return {"stack": "encoder", "kind": "self", "layer": int(l)}

    def best(mat):
        l, h = np.unravel_index(np.argmax(mat), mat.shape)
        return int(l), int(h)

    def relation_role(sc, l, h, role, metric, condition=None, extra=None):
        r = {
            **site(l), "head": h, "role": role,
            "score": r4(sc["target"][l, h]),
            "metric": metric,
            "distractor_weight": r4(sc["other"][l, h]),
            "win_rate": r4(sc["win"][l, h]),
            "argmax_rate": r4(sc["argmax"][l, h]),
            "examples": sc["n"],
        }
        if condition:
            r["condition"] = condition
        if extra:
            r.update(extra)
        return r

    def strong_heads(sc, min_win, min_mean):
        """Heads that prefer the target in >= min_win of sentences with mean weight >= min_mean, best first."""
        cand = [(sc["target"][l, h], l, h) for l in range(L) for h in range(H)
                if sc["win"][l, h] >= min_win and sc["target"][l, h] >= min_mean]
        if not cand:  # always report the best head, flagged
            l, h = best(sc["target"] - sc["other"])
            return [(l, h, False)]
        return [(l, h, True) for _, l, h in sorted(cand, reverse=True)]

    PRON_METRIC = "mean attention weight from the pronoun (it/they) to its antecedent noun"
    # The model splits pronoun resolution by the antecedent's class: measure each class separately.
    coref_by_class = {}
    for cls_name, animate in [("animate", True), ("inanimate", False)]:
        sc = relation_scores(probs_coref, coref_exs, "pron", "ante", "distr", only=lambda e, a=animate: e["ante_animate"] == a)
        coref_by_class[cls_name] = sc
        for l, h, ok in strong_heads(sc, 0.9, 0.5):
            roles.append(relation_role(sc, l, h, "pronoun->antecedent", PRON_METRIC,
                                       condition=f"antecedent is {cls_name} ({'tired, scared, hungry, …' if animate else 'wide, heavy, busy, …'} sentences)",
                                       extra=None if ok else {"below_threshold": True}))
    # the best single head over all pronoun sentences (either class)
    l, h = best(coref_s["target"] - coref_s["other"])
    overall_pron = relation_role(coref_s, l, h, "pronoun->antecedent", PRON_METRIC, condition="all pronoun sentences",
                                 extra={"win_rate_antecedent_is_subject": r4(coref_subj["win"][l, h]),
                                        "win_rate_antecedent_is_object": r4(coref_obj["win"][l, h])})
    if coref_s["win"][l, h] >= 0.9:
        roles.append(overall_pron)
    verb_heads = strong_heads(agree_s, 0.95, 0.5)
    for l, h, ok in verb_heads:
        roles.append(relation_role(agree_s, l, h, "verb->subject",
                                   "mean attention weight from the main verb to its subject noun (sentences with an intervening noun)",
                                   extra={"attractor_weight": r4(agree_s["other"][l, h]), **({} if ok else {"below_threshold": True})}))
    bl, bh = verb_heads[0][0], verb_heads[0][1]
    pos_names = {
        "previous": ("previous-token", "mean attention weight on position i-1"),
        "next": ("next-token", "mean attention weight on position i+1"),
        "self": ("self", "mean attention weight on position i"),
        "cls": ("attend-to-[CLS]", "mean attention weight on [CLS]"),
        "sep": ("attend-to-[SEP]", "mean attention weight on the [SEP] token(s)"),
    }
    positional_best = {}
    for k, (role, metric) in pos_names.items():
        l, h = best(pos_s[k])
        positional_best[role] = {"layer": l, "head": h, "score": r4(pos_s[k][l, h])}
        for l in range(L):
            for h in range(H):
                if pos_s[k][l, h] >= 0.5:
                    roles.append({**site(l), "head": h, "role": role, "score": r4(pos_s[k][l, h]), "metric": metric + " (content-token queries)"})
    class_head = {c: next(r for r in roles if r["role"] == "pronoun->antecedent" and r.get("condition", "").startswith(f"antecedent is {c}"))
                  for c in ("animate", "inanimate")}

    # ---------------- seed probes -------------------------------------------------------------
    animate_words = {w for pair in ANIMATE for w in pair}
    probes = []
    for text, ante, distr, pair in [
        (SEED_SENTENCE, "animal", "street", None),
        ("The animal didn't cross the street because it was too wide.", "street", "animal", None),
        ("The animals didn't cross the street because they were too tired.", "animals", "street", None),
        ("The animal didn't cross the streets because they were too wide.", "streets", "animal", None),
        ("The animal didn't cross the street.", "animal", "street", "It was too tired."),
        ("The box didn't fit the dog because it was too big.", "box", "dog", None),
        ("The box didn't fit the dog because it was too hungry.", "dog", "box", None),
    ]:
        toks, tt = bert_tokenize(text, vocab, pair)
        ids_ = torch.tensor([[vocab[t] for t in toks]])
        with torch.no_grad():
            _, _, pr = model(ids_, torch.ones_like(ids_), torch.tensor([tt]))
        pr = torch.stack(pr, 1)[0]
        pi = [i for i, t in enumerate(toks) if t in ("it", "they")][0]
        ai = toks.index(ante)
        di = toks.index(distr)
        ch = class_head["animate" if ante in animate_words else "inanimate"]
        cl, chh = ch["layer"], ch["head"]
        probes.append({
            "text": text, "pair": pair, "tokens": toks, "pronoun_index": pi, "antecedent_index": ai, "distractor_index": di,
            "antecedent_class": "animate" if ante in animate_words else "inanimate",
            "class_head": {**site(cl), "head": chh, "to_antecedent": r4(pr[cl, chh, pi, ai]), "to_distractor": r4(pr[cl, chh, pi, di])},
            "heads_preferring_antecedent": [
                {"layer": ll, "head": hh, "to_antecedent": r4(pr[ll, hh, pi, ai]), "to_distractor": r4(pr[ll, hh, pi, di])}
                for ll in range(L) for hh in range(H) if pr[ll, hh, pi, ai] > pr[ll, hh, pi, di] + 0.1
            ],
        })
    agree_probes = []
    for text, subj, attr in [
        ("The dog near the cars is hungry.", "dog", "cars"),
        ("The dogs near the car are hungry.", "dogs", "car"),
        ("The boy that the girls like runs outside.", "boy", "girls"),
        ("The boxes behind the chair with the cats have arrived.", "boxes", "chair"),
    ]:
        toks, tt = bert_tokenize(text, vocab)
        ids_ = torch.tensor([[vocab[t] for t in toks]])
        with torch.no_grad():
            _, _, pr = model(ids_, torch.ones_like(ids_), torch.tensor([tt]))
        pr = torch.stack(pr, 1)[0]
        vi = [i for i, t in enumerate(toks) if t in NUMBER_PAIRS and i > toks.index(attr)][-1]
        si, ai = toks.index(subj), toks.index(attr)
        agree_probes.append({"text": text, "tokens": toks, "verb_index": vi, "subject_index": si, "attractor_index": ai,
                             "best_head": {**site(bl), "head": bh, "to_subject": r4(pr[bl, bh, vi, si]), "to_attractor": r4(pr[bl, bh, vi, ai])}})

    # ---------------- export ------------------------------------------------------------------
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "model.onnx")
    toks, tt = bert_tokenize(SEED_SENTENCE, vocab)
    ex_ids = torch.tensor([[vocab[t] for t in toks]] * 2)
    ex_mask = torch.ones_like(ex_ids)
    ex_types = torch.tensor([tt] * 2)
    onnx_model = export_onnx(
        BertExport(model), (ex_ids, ex_mask, ex_types), onnx_path,
        ["input_ids", "attention_mask", "token_type_ids"], ["logits"],
        {"input_ids": {0: "batch_size", 1: "sequence_length"},
         "attention_mask": {0: "batch_size", 1: "sequence_length"},
         "token_type_ids": {0: "batch_size", 1: "sequence_length"},
         "logits": {0: "batch_size", 1: "sequence_length"}},
    )
    patterns = softmax_patterns(onnx_model)

    write_json(os.path.join(out_dir, "tokenizer.json"), bert_tokenizer_json(vocab))
    write_json(os.path.join(out_dir, "tokenizer_config.json"), bert_tokenizer_config(cfg["max_position_embeddings"]))
    config = {
        "model_type": "bert",
        "architectures": ["BertForMaskedLM"],
        **cfg,
        "hidden_act": "gelu",
        "layer_norm_eps": 1e-12,
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "position_embedding_type": "absolute",
        "pad_token_id": vocab["[PAD]"],
        "cls_token_id": vocab["[CLS]"],
        "sep_token_id": vocab["[SEP]"],
        "mask_token_id": vocab["[MASK]"],
        "unk_token_id": vocab["[UNK]"],
        "tie_word_embeddings": True,
        "attnlens_demo": {"task": "synthetic agreement + pronoun resolution MLM", "script": "kernel-lib/models/train_demo_models.py"},
    }
    write_json(os.path.join(out_dir, "config.json"), config)

    # reference: tokenization samples + torch probabilities for the seed sentence
    samples = []
    s_rng = random.Random(7)
    s_gram = BertGrammar(s_rng)
    for i in range(24):
        e = s_gram.sample()
        if e["pair_split"] is not None:
            a = surface(e["tokens"][: e["pair_split"]])
            b = surface(e["tokens"][e["pair_split"]:])
        else:
            a, b = surface(e["tokens"]), None
        toks_, tt_ = bert_tokenize(a, vocab, b)
        samples.append({"text": a, "text_pair": b, "tokens": toks_, "ids": [vocab[t] for t in toks_], "token_type_ids": tt_})
    toks, tt = bert_tokenize(SEED_SENTENCE, vocab)
    ids_ = torch.tensor([[vocab[t] for t in toks]])
    with torch.no_grad():
        lg, _, pr = model(ids_, torch.ones_like(ids_), torch.tensor([tt]))
    reference = {
        "tokenizer_samples": [{"text": SEED_SENTENCE, "text_pair": None, "tokens": toks, "ids": ids_[0].tolist(), "token_type_ids": tt}] + samples,
        "probe": {
            "text": SEED_SENTENCE,
            "tokens": toks,
            "input_ids": ids_[0].tolist(),
            "attention_mask": [1] * len(toks),
            "token_type_ids": tt,
            "sites": [{"stack": "encoder", "kind": "self", "layer": l, "softmax": patterns[l]["softmax"]} for l in range(L)],
            "attention": [nested_round(pr[l][0]) for l in range(L)],  # [layer][head][query][key]
            "logits_argmax": lg[0].argmax(-1).tolist(),
            "logits_sample": {"positions": [0, len(toks) // 2, len(toks) - 1],
                              "values": [nested_round(lg[0, p, :16]) for p in [0, len(toks) // 2, len(toks) - 1]]},
        },
    }
    write_compact_json(os.path.join(out_dir, "reference.json"), reference)

    heads = {
        "model": "tiny-agreement-bert",
        "measured_with": "torch module attention probabilities (softmax outputs) on held-out generated sentences, unmasked inputs",
        "sites": [{"stack": "encoder", "kind": "self", "layer": l, "heads": H, "causal": False, "onnx_softmax": patterns[l]["softmax"]} for l in range(L)],
        "roles": roles,
        "best_single_pronoun_head": overall_pron,
        "best_positional": positional_best,
        "head_scores": {
            "pronoun_to_antecedent_mean": nested_round(coref_s["target"], 4),
            "pronoun_to_distractor_mean": nested_round(coref_s["other"], 4),
            "pronoun_antecedent_win_rate": nested_round(coref_s["win"], 4),
            **{f"pronoun_to_antecedent_mean_{c}": nested_round(sc["target"], 4) for c, sc in coref_by_class.items()},
            **{f"pronoun_to_distractor_mean_{c}": nested_round(sc["other"], 4) for c, sc in coref_by_class.items()},
            **{f"pronoun_antecedent_win_rate_{c}": nested_round(sc["win"], 4) for c, sc in coref_by_class.items()},
            "verb_to_subject_mean": nested_round(agree_s["target"], 4),
            "verb_to_attractor_mean": nested_round(agree_s["other"], 4),
            "verb_subject_win_rate": nested_round(agree_s["win"], 4),
            **{f"{k}_mean": nested_round(v, 4) for k, v in pos_s.items()},
        },
        "probes": probes,
        "agreement_probes": agree_probes,
        "metrics": {k: (r4(v) if isinstance(v, float) else v) for k, v in metrics.items()},
    }
    write_json(os.path.join(out_dir, "heads.json"), heads)

    total_time = time.time() - t_start
    seed_toks = bert_tokenize(SEED_SENTENCE, vocab)[0]
    ca, ci = class_head["animate"], class_head["inanimate"]
    pron_rows = [[f"layer {r['layer']} head {r['head']}", r["condition"], f"{r['score']:.2f}", f"{r['distractor_weight']:.2f}",
                  f"{100 * r['win_rate']:.1f}%", f"{100 * r['argmax_rate']:.1f}%" + (" (below threshold)" if r.get("below_threshold") else "")]
                 for r in roles if r["role"] == "pronoun->antecedent"]
    verb_rows = [[f"layer {r['layer']} head {r['head']}", f"{r['score']:.2f}", f"{r['attractor_weight']:.2f}", f"{100 * r['win_rate']:.1f}%",
                  f"{100 * r['argmax_rate']:.1f}%" + (" (below threshold)" if r.get("below_threshold") else "")]
                 for r in roles if r["role"] == "verb->subject"]
    pos_rows = [[f"layer {r['layer']} head {r['head']}", r["role"], f"{r['score']:.2f}"] for r in roles if r["role"] in
                {v[0] for v in pos_names.values()}]
    pos_best_rows = [[role, f"layer {v['layer']} head {v['head']}", f"{v['score']:.2f}"] for role, v in positional_best.items()]
    probe_rows = [[p["text"] + (" / " + p["pair"] if p["pair"] else ""), p["tokens"][p["pronoun_index"]] + " → " + p["tokens"][p["antecedent_index"]],
                   f"layer {p['class_head']['layer']} head {p['class_head']['head']}",
                   f"{p['class_head']['to_antecedent']:.2f}", f"{p['class_head']['to_distractor']:.2f}",
                   ", ".join(f"L{x['layer']}H{x['head']}" for x in p["heads_preferring_antecedent"])] for p in probes]
    agree_rows = [[p["text"], f"{p['tokens'][p['verb_index']]} → {p['tokens'][p['subject_index']]}", f"{p['best_head']['to_subject']:.2f}",
                   f"{p['best_head']['to_attractor']:.2f}"] for p in agree_probes]
    single = overall_pron
    readme = f"""# tiny-agreement-bert

A 4-layer, 4-head BERT-style masked language model (hidden size {cfg['hidden_size']}, {n_params:,} parameters
including a training-only auxiliary head) trained from scratch on a synthetic English-like language
with **subject–verb agreement** and **pronoun–antecedent** links. It is an attnlens demo model: small
enough to commit, trained so that some of its attention heads do a job you can name and check.

Generated by `kernel-lib/models/train_demo_models.py bert` (fixed seeds).

## Files

| file | what |
|---|---|
| `model.onnx` | `torch.onnx.export`, opset {OPSET}. Inputs `input_ids`, `attention_mask`, `token_type_ids` (int64 `[batch_size, sequence_length]`), output `logits` (float32 `[batch_size, sequence_length, {cfg['vocab_size']}]`, masked-LM scores). No attention outputs. |
| `tokenizer.json` | Hugging Face tokenizers format: BertNormalizer (lowercase), BertPreTokenizer, WordPiece (`##`), TemplateProcessing `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` (token types 0/1). |
| `tokenizer_config.json` | `BertTokenizer`, special tokens. |
| `config.json` | HF-style config (`model_type: bert`). |
| `heads.json` | the measured head roles below, the full per-head score tables and probe sentences, machine-readable. |
| `reference.json` | tokenizer samples (text → tokens/ids/token types) and, for the seed sentence, torch attention probabilities `[layer][head][query][key]` and logits samples. |

The seed sentence `{SEED_SENTENCE}` tokenizes as:

```
{' '.join(seed_toks)}
```

## The language

Two kinds of sentences, half each (vocabulary of {len(vocab)} tokens, all lowercase words):

* **Agreement**: `the N1 [PP | RC] VERB …` where the verb agrees in number with `N1`, and a prepositional
  phrase (`near the cars`, optionally a second one) or a relative clause (`that the girls like`,
  `that likes the girls`) puts an *attractor* noun between subject and verb. Verbs: is/are, was/were,
  has/have, sleeps/sleep, walks/walk, …; the relative-clause verb agrees with its own subject.
* **Pronoun resolution** (Winograd-like): `the N1 didn't/couldn't/wouldn't/doesn't/don't/can't VERB the N2
  because/since it|they was|were|is|are too ADJ .` One noun is animate (animal, dog, boy, …) and the other is
  a place or a thing (street, river, box, …); the adjective class decides the antecedent (`tired`, `scared`,
  `hungry` … → the animate noun; `wide`, `heavy`, `busy` … → the inanimate one). The animate noun is the
  subject in two frames and the object in the third (`the box didn't fit the dog because it was too big/hungry`),
  so position alone does not decide. `it`/`they` and `was`/`were` agree with the antecedent; 25% of these are
  sentence pairs (`[CLS] the animal didn't cross the street . [SEP] it was too tired . [SEP]`, token types 0/1).
  The pair *animal*/*street* never co-occurs in training, so the seed sentence is unseen.

## Training

* Masked LM: 12% random masking (80/10/10) plus, half of the time, the agreeing word itself (the main verb, or the
  pronoun — together with the following `was/were` 60% of the time, so the number must come from the antecedent).
* Auxiliary per-token objective (training-only linear head over the {len(nouns)} nouns, not exported): at the pronoun
  position predict the antecedent noun, at the verb position predict its subject noun (and at a relative-clause
  verb, its subject). Only the antecedent/subject position carries that identity, so the information must be
  moved there by attention.
* AdamW lr 2e-3 (warmup 300, cosine), batch {bs}, {steps} steps, no dropout, `torch.set_num_threads({threads})`;
  training took {train_time / 60:.1f} min on this machine's CPU (total with evaluation and export {total_time / 60:.1f} min;
  {1000 * train_time / steps:.0f} ms/step with the 2 vCPUs shared with other jobs, ~90 ms/step on an idle core).

## Accuracy (held-out generated sentences)

| measure | value |
|---|---|
| verb number (masked main verb: right form scored above its other-number form) | {metrics['agreement_accuracy']:.3f} ({metrics['agreement_examples']} sentences) |
| … with an attractor of the other number | {metrics['agreement_accuracy_with_mismatched_attractor']:.3f} ({metrics['agreement_mismatched_attractor_examples']}) |
| pronoun number (masked pronoun *and* copula, nouns of different number) | {metrics['pronoun_number_accuracy']:.3f} ({metrics['pronoun_number_examples']}) |
| auxiliary head: antecedent noun identified at the pronoun | {metrics['aux_antecedent_accuracy']:.3f} |
| auxiliary head: subject noun identified at the main verb | {metrics['aux_subject_accuracy']:.3f} |

## Attention heads (measured)

Measured from the torch module's own softmax outputs on {coref_s['n']} held-out pronoun sentences and
{agree_s['n']} held-out agreement sentences with an intervening noun (inputs unmasked, as a user would type them).
Layers and heads count from 0. "Wins" = share of sentences where the head gives the antecedent (subject) more weight
than the other noun (attractor); "argmax" = share where it is the head's most-attended key.

### Pronoun → antecedent

The model resolves pronouns with **class-specific heads**: one set of heads fetches the antecedent when it is the
animate noun, another when it is the inanimate one (a head of one set looks elsewhere when the antecedent is of the
other class). Heads with wins ≥ 90% and mean weight ≥ 0.5 within a class:

{fmt_table(pron_rows, ['head', 'sentences', 'weight → antecedent', 'weight → other noun', 'wins', 'argmax'])}

* **Encoder layer {ca['layer']} head {ca['head']}: pronoun → animate antecedent**, mean weight {ca['score']:.2f} (other noun {ca['distractor_weight']:.2f}).
* **Encoder layer {ci['layer']} head {ci['head']}: pronoun → inanimate antecedent**, mean weight {ci['score']:.2f} (other noun {ci['distractor_weight']:.2f}).
* Best single head over all pronoun sentences: layer {single['layer']} head {single['head']}, mean weight {single['score']:.2f} vs {single['distractor_weight']:.2f}, wins {100 * single['win_rate']:.1f}%.

Pronoun → antecedent weight per head, animate antecedents:

{per_head_table(coref_by_class['animate']['target'])}

… inanimate antecedents:

{per_head_table(coref_by_class['inanimate']['target'])}

… and to the other noun (all pronoun sentences):

{per_head_table(coref_s['other'])}

Probes (the class head is the first head listed above for the antecedent's class):

{fmt_table(probe_rows, ['input', 'pronoun → antecedent', 'class head', 'weight → antecedent', 'weight → other noun', 'heads preferring the antecedent by > 0.1'])}

### Verb → subject

Heads with wins ≥ 95% and mean weight ≥ 0.5:

{fmt_table(verb_rows, ['head', 'weight → subject', 'weight → attractor', 'wins', 'argmax'])}

Verb → subject weight per head:

{per_head_table(agree_s['target'])}

Probes in layer {bl} head {bh}:

{fmt_table(agree_rows, ['input', 'verb → subject', 'weight → subject', 'weight → attractor'])}

### Positional heads

{('Heads with mean weight ≥ 0.5 (content-token queries):' + chr(10) + chr(10) + fmt_table(pos_rows, ['head', 'role', 'mean weight'])) if pos_rows else 'No head puts a mean weight ≥ 0.5 on a fixed relative position or special token (this model has no clear positional heads); the strongest of each kind:'}

{fmt_table(pos_best_rows, ['pattern', 'strongest head', 'mean weight'])}

## ONNX attention pattern

Every attention site is `{patterns[0]['pattern']}` (Softmax axis {patterns[0]['axis']}); the Softmax nodes are
{', '.join('`' + p['softmax'] + '`' for p in patterns)}. The padding mask is `(1 - attention_mask) * float32.min` added
to the scaled scores, as in transformers' eager BERT.

## Limits

A toy: a closed vocabulary of {len(vocab)} tokens (other words become `[UNK]` or `##` pieces), sentences of at most
~20 tokens (positions up to {cfg['max_position_embeddings']}), no real-language knowledge.
"""
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8") as f:
        f.write(readme)
    print(f"[bert] done in {total_time:.0f}s; metrics {json.dumps(heads['metrics'])}")
    print(f"[bert] roles: {json.dumps(roles)[:2000]}")
    return heads


# ----------------------------------------------------------------------------------------------
# weight init shared by the GPT and encoder-decoder models (transformers-style N(0, 0.02))
# ----------------------------------------------------------------------------------------------


def hf_init(module, std=0.02):
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, std)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def word_level_tokenizer_json(vocab, specials, post_processor, lowercase=True):
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special(vocab[t], t) for t in specials],
        "normalizer": {"type": "Lowercase"} if lowercase else None,
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": post_processor,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": [t for t in specials if "unk" in t][0]},
    }


# ----------------------------------------------------------------------------------------------
# 2. tiny-induction-gpt
# ----------------------------------------------------------------------------------------------

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
    vocab = {t: i for i, t in enumerate(GPT_SPECIALS)}
    for w in GPT_LETTERS + GPT_WORDS:
        if w not in vocab:
            vocab[w] = len(vocab)
    return vocab


class GPT2Attention(nn.Module):
    """Op sequence of transformers' eager GPT2Attention (fused c_attn, Where causal mask)."""

    def __init__(self, cfg):
        super().__init__()
        d = cfg["n_embd"]
        n = cfg["n_positions"]
        self.embed_dim = d
        self.num_heads = cfg["n_head"]
        self.head_dim = d // self.num_heads
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.register_buffer("bias", torch.tril(torch.ones((n, n), dtype=torch.bool)).view(1, 1, n, n), persistent=False)

    def _split_heads(self, x):
        return x.view(x.size()[:-1] + (self.num_heads, self.head_dim)).permute(0, 2, 1, 3)

    def forward(self, x, attention_mask, head_mask=None):
        q, k, v = self.c_attn(x).split(self.embed_dim, dim=2)
        q, k, v = self._split_heads(q), self._split_heads(k), self._split_heads(v)
        w = torch.matmul(q, k.transpose(-1, -2))
        w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        ql, kl = q.size(-2), k.size(-2)
        causal = self.bias[:, :, kl - ql : kl, :kl]
        w = torch.where(causal, w, torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype))
        w = w + attention_mask
        p = F.softmax(w, dim=-1)
        o = torch.matmul(p, v)
        if head_mask is not None:
            o = o * head_mask.view(1, -1, 1, 1)
        o = o.permute(0, 2, 1, 3).contiguous()
        o = o.view(o.size()[:-2] + (self.embed_dim,))
        return self.c_proj(o), p


class GPT2Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg["n_embd"], eps=1e-5)
        self.attn = GPT2Attention(cfg)

    def forward(self, x, mask, head_mask=None):
        a, p = self.attn(self.ln_1(x), mask, head_mask)
        return x + a, p


class GPT2Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wte = nn.Embedding(cfg["vocab_size"], cfg["n_embd"])
        self.wpe = nn.Embedding(cfg["n_positions"], cfg["n_embd"])
        self.h = nn.ModuleList([GPT2Block(cfg) for _ in range(cfg["n_layer"])])
        self.ln_f = nn.LayerNorm(cfg["n_embd"], eps=1e-5)

    def forward(self, input_ids, attention_mask, head_masks=None):
        T = input_ids.size(-1)
        position_ids = torch.arange(0, T, dtype=torch.long).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(position_ids)
        m = attention_mask[:, None, None, :].to(x.dtype)
        # transformers uses float32.min here; added to the Where's float32.min that gives -inf and a
        # NaN row for a left-padded query. -10000 (older transformers) keeps every row finite.
        m = (1.0 - m) * -10000.0
        probs = []
        for i, block in enumerate(self.h):
            x, p = block(x, m, None if head_masks is None else head_masks[i])
            probs.append(p)
        return self.ln_f(x), probs


class GPT2LMHeadModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.transformer = GPT2Model(cfg)
        self.lm_head = nn.Linear(cfg["n_embd"], cfg["vocab_size"], bias=False)

    def forward(self, input_ids, attention_mask, head_masks=None):
        h, probs = self.transformer(input_ids, attention_mask, head_masks)
        return self.lm_head(h), probs


class GPT2Export(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.transformer = m.transformer
        self.lm_head = m.lm_head

    def forward(self, input_ids, attention_mask):
        h, _ = self.transformer(input_ids, attention_mask)
        return self.lm_head(h)


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


def sinusoidal(n, d):
    pos = torch.arange(n, dtype=torch.float32)[:, None]
    ang = pos / (10000 ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
    pe = torch.zeros(n, d)
    pe[:, 0::2] = torch.sin(ang)
    pe[:, 1::2] = torch.cos(ang)
    return pe


def gpt_repeat_eval(model, rng, n, L, V, n_special, head_masks=None):
    """[BOS] S S with S of L distinct tokens: losses on each half, attention probs."""
    x = np.zeros((n, 2 * L + 1), dtype=np.int64)
    for b in range(n):
        s = rng.choice(np.arange(n_special, V), size=L, replace=False)
        x[b, 1 : L + 1] = s
        x[b, L + 1 :] = s
    x = torch.from_numpy(x)
    with torch.no_grad():
        logits, probs = model(x, torch.ones_like(x), head_masks)
    lp = F.log_softmax(logits[:, :-1], -1).gather(-1, x[:, 1:, None])[..., 0]  # lp[:, i] = log p(x[i+1] | x[:i+1])
    first = -lp[:, 1:L].mean().item()  # predicting S[1..L-1] from inside the first copy
    second = -lp[:, L + 1 : 2 * L].mean().item()  # predicting S[1..L-1] of the second copy
    acc2 = (logits[:, L + 1 : 2 * L].argmax(-1) == x[:, L + 2 : 2 * L + 1]).float().mean().item()
    return first, second, acc2, torch.stack(probs, 1), x


def train_gpt(out_dir, threads, quick=False):
    t_start = time.time()
    set_seed(2024)
    rng = np.random.default_rng(2024)
    vocab = gpt_vocab()
    V = len(vocab)
    n_special = len(GPT_SPECIALS)
    cfg = {"vocab_size": V, "n_embd": 64, "n_head": 4, "n_layer": 2, "n_positions": 64}
    model = GPT2LMHeadModel(cfg)  # PyTorch default init; wpe starts sinusoidal (still trained)
    with torch.no_grad():
        model.transformer.wpe.weight.copy_(sinusoidal(cfg["n_positions"], cfg["n_embd"]))
    n_params = sum(p.numel() for p in model.parameters())
    # training-only probe: predict token i-1 from the residual stream after layer 0 at position i
    probe = nn.Linear(cfg["n_embd"], V)
    steps = 200 if quick else 3000
    aux_steps = steps // 3
    aux_w = 0.2
    bs, T = 32, cfg["n_positions"]
    lr0 = 3e-3
    opt = torch.optim.AdamW(list(model.parameters()) + list(probe.parameters()), lr=lr0, weight_decay=0.0)
    model.train()
    curve = []
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = warmup_cosine(step, steps, 100, lr0)
        x = gpt_batch(rng, bs, T, n_special, V)
        # forward by hand to reach the layer-0 residual stream
        pos = torch.arange(0, T, dtype=torch.long).unsqueeze(0)
        resid = model.transformer.wte(x) + model.transformer.wpe(pos)
        m = torch.zeros(1, 1, 1, T)
        resid0, _ = model.transformer.h[0](resid, m)
        resid1, _ = model.transformer.h[1](resid0, m)
        logits = model.lm_head(model.transformer.ln_f(resid1))
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), x[:, 1:].reshape(-1))
        total = loss
        if step < aux_steps:
            aux = F.cross_entropy(probe(resid0[:, 1:]).reshape(-1, V), x[:, :-1].reshape(-1))
            total = loss + aux_w * aux
        opt.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            model.eval()
            f, s, a, _, _ = gpt_repeat_eval(model, np.random.default_rng(5), 64, 30, V, n_special)
            model.train()
            curve.append({"step": step, "train_loss": r4(loss.item()), "first_half_loss": r4(f), "second_half_loss": r4(s), "second_half_top1": r4(a)})
            print(f"[gpt] step {step} loss {loss.item():.3f} repeat-eval first {f:.3f} second {s:.3f} acc {a:.3f} ({time.time() - t_start:.0f}s)", flush=True)
    train_time = time.time() - t_start
    model.eval()

    ev_rng = np.random.default_rng(7)
    L_seg = 30
    first, second, acc2, probs, xs = gpt_repeat_eval(model, ev_rng, 256, L_seg, V, n_special)
    NL, H = cfg["n_layer"], cfg["n_head"]
    P = probs.numpy()  # [B, layer, head, T, T]
    Tq = P.shape[-1]
    idx = np.arange(1, Tq)
    prev_score = P[:, :, :, idx, idx - 1].mean(axis=(0, 3))  # over all queries i >= 1
    q2 = np.arange(L_seg + 1, 2 * L_seg)  # second copy, queries whose next token is known in context
    induction = P[:, :, :, q2, q2 - L_seg + 1].mean(axis=(0, 3))
    duplicate = P[:, :, :, q2, q2 - L_seg].mean(axis=(0, 3))
    bos = P[:, :, :, 1:, 0].mean(axis=(0, 3))
    # previous-token score on plain random text (no repeats)
    xr = torch.from_numpy(np.concatenate([np.zeros((256, 1), dtype=np.int64),
                                          np.stack([ev_rng.choice(np.arange(n_special, V), size=cfg['n_positions'] - 1, replace=False) for _ in range(256)])], 1))
    with torch.no_grad():
        _, pr = model(xr, torch.ones_like(xr))
    Pr = torch.stack(pr, 1).numpy()
    ir = np.arange(1, Pr.shape[-1])
    prev_random = Pr[:, :, :, ir, ir - 1].mean(axis=(0, 3))

    roles = []
    for l in range(NL):
        for h in range(H):
            site = {"stack": "decoder", "kind": "self", "layer": l, "head": h}
            if prev_random[l, h] >= 0.5:
                roles.append({**site, "role": "previous-token", "score": r4(prev_random[l, h]),
                              "metric": "mean attention weight on position i-1 (random tokens, no repeats)"})
            if induction[l, h] >= 0.3:
                roles.append({**site, "role": "induction", "score": r4(induction[l, h]),
                              "metric": f"mean attention weight on the token after the previous occurrence of the current token ([BOS] S S, |S|={L_seg}, second copy)"})
            if duplicate[l, h] >= 0.3:
                roles.append({**site, "role": "duplicate-token", "score": r4(duplicate[l, h]),
                              "metric": "mean attention weight on the previous occurrence of the current token"})
            if bos[l, h] >= 0.5:
                roles.append({**site, "role": "attend-to-first", "score": r4(bos[l, h]),
                              "metric": "mean attention weight on position 0 (<|endoftext|>)"})

    # ablations: knock out each head, measure the second-half loss again
    ablation = []
    for l in range(NL):
        for h in range(H):
            hm = [torch.ones(H) for _ in range(NL)]
            hm[l][h] = 0.0
            f_, s_, a_, _, _ = gpt_repeat_eval(model, np.random.default_rng(11), 128, L_seg, V, n_special, hm)
            ablation.append({"layer": l, "head": h, "first_half_loss": r4(f_), "second_half_loss": r4(s_), "second_half_top1": r4(a_)})
    f0, s0, a0, _, _ = gpt_repeat_eval(model, np.random.default_rng(11), 128, L_seg, V, n_special)
    for r in roles:
        ab = [a for a in ablation if a["layer"] == r["layer"] and a["head"] == r["head"]][0]
        r["ablated_second_half_loss"] = ab["second_half_loss"]

    metrics = {
        "first_half_loss": r4(first),
        "second_half_loss": r4(second),
        "in_context_loss_drop": r4(first - second),
        "uniform_loss": r4(math.log(V - n_special)),
        "second_half_top1": r4(acc2),
        "eval_sequences": 256,
        "segment_length": L_seg,
    }

    # ---------------- export -----------------------------------------------------------------
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "model.onnx")
    ex = xs[:2, :12]
    onnx_model = export_onnx(
        GPT2Export(model), (ex, torch.ones_like(ex)), onnx_path, ["input_ids", "attention_mask"], ["logits"],
        {"input_ids": {0: "batch_size", 1: "sequence_length"},
         "attention_mask": {0: "batch_size", 1: "sequence_length"},
         "logits": {0: "batch_size", 1: "sequence_length"}},
    )
    patterns = softmax_patterns(onnx_model)
    bos_tok = GPT_SPECIALS[0]
    post = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": bos_tok, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": bos_tok, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"Sequence": {"id": "B", "type_id": 0}}],
        "special_tokens": {bos_tok: {"id": bos_tok, "ids": [vocab[bos_tok]], "tokens": [bos_tok]}},
    }
    write_json(os.path.join(out_dir, "tokenizer.json"), word_level_tokenizer_json(vocab, GPT_SPECIALS, post))
    write_json(os.path.join(out_dir, "tokenizer_config.json"), {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": bos_tok, "eos_token": bos_tok, "pad_token": bos_tok, "unk_token": "<unk>",
        "model_max_length": cfg["n_positions"], "clean_up_tokenization_spaces": False,
        "added_tokens_decoder": {str(vocab[t]): {k: v for k, v in special(vocab[t], t).items() if k != "id"} for t in GPT_SPECIALS},
    })
    config = {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        **cfg,
        "n_ctx": cfg["n_positions"],
        "n_inner": None,
        "hidden_size": cfg["n_embd"],
        "num_attention_heads": cfg["n_head"],
        "num_hidden_layers": cfg["n_layer"],
        "max_position_embeddings": cfg["n_positions"],
        "layer_norm_epsilon": 1e-5,
        "attn_pdrop": 0.0, "embd_pdrop": 0.0, "resid_pdrop": 0.0,
        "bos_token_id": vocab[bos_tok], "eos_token_id": vocab[bos_tok], "pad_token_id": vocab[bos_tok],
        "unk_token_id": vocab["<unk>"],
        "tie_word_embeddings": False,
        "attnlens_demo": {"attention_only": True, "note": "no MLP blocks: each layer is ln_1 + attention + residual",
                          "task": "next token on random tokens with repeated segments (induction)",
                          "script": "kernel-lib/models/train_demo_models.py"},
    }
    write_json(os.path.join(out_dir, "config.json"), config)

    inv = {i: t for t, i in vocab.items()}
    demo_words = "tiger apple ocean stone violin lemon tower spoon tiger apple ocean stone violin lemon tower spoon"
    demo = [vocab[bos_tok]] + [vocab[w] for w in demo_words.split()]
    dx = torch.tensor([demo])
    with torch.no_grad():
        lg, pr = model(dx, torch.ones_like(dx))
    pr = torch.stack(pr, 1)[0]
    samples = []
    for text in [demo_words, "a b c d e a b c d", "The Tiger ate an APPLE", "zebra x y z zebra x y"]:
        toks = [t if t in vocab else "<unk>" for t in [bos_tok] + text.lower().split()]
        samples.append({"text": text, "tokens": toks, "ids": [vocab[t] for t in toks]})
    reference = {
        "tokenizer_samples": samples,
        "probe": {
            "text": demo_words, "tokens": [inv[i] for i in demo], "input_ids": demo, "attention_mask": [1] * len(demo),
            "sites": [{"stack": "decoder", "kind": "self", "layer": l, "softmax": patterns[l]["softmax"]} for l in range(NL)],
            "attention": [nested_round(pr[l]) for l in range(NL)],
            "logits_argmax": lg[0].argmax(-1).tolist(),
            "predicted_tokens": [inv[i] for i in lg[0].argmax(-1).tolist()],
            "logits_sample": {"positions": [0, len(demo) // 2, len(demo) - 1],
                              "values": [nested_round(lg[0, p, :16]) for p in [0, len(demo) // 2, len(demo) - 1]]},
        },
    }
    write_compact_json(os.path.join(out_dir, "reference.json"), reference)
    heads = {
        "model": "tiny-induction-gpt",
        "measured_with": "torch module attention probabilities on held-out random sequences",
        "sites": [{"stack": "decoder", "kind": "self", "layer": l, "heads": H, "causal": True, "onnx_softmax": patterns[l]["softmax"]} for l in range(NL)],
        "roles": roles,
        "head_scores": {
            "previous_token_random_text": nested_round(prev_random, 4),
            "previous_token_repeated_text": nested_round(prev_score, 4),
            "induction": nested_round(induction, 4),
            "duplicate_token": nested_round(duplicate, 4),
            "first_token": nested_round(bos, 4),
        },
        "ablation": {"baseline_second_half_loss": r4(s0), "baseline_first_half_loss": r4(f0), "per_head": ablation},
        "metrics": metrics,
        "training_curve": curve,
    }
    write_json(os.path.join(out_dir, "heads.json"), heads)
    total_time = time.time() - t_start

    role_rows = [[f"layer {r['layer']} head {r['head']}", r["role"], f"{r['score']:.2f}", f"{r['ablated_second_half_loss']:.2f}"] for r in roles]
    curve_rows = [[c["step"], f"{c['train_loss']:.2f}", f"{c['first_half_loss']:.2f}", f"{c['second_half_loss']:.2f}"] for c in curve if c["step"] % 500 == 0 or c["step"] in range(300, 1000, 100) or c is curve[-1]]
    readme = f"""# tiny-induction-gpt

A two-layer, attention-only, GPT-2-style causal transformer (4 heads per layer, width {cfg['n_embd']}, learned
absolute positions up to {cfg['n_positions']}, {n_params:,} parameters) trained on random token sequences with repeated
segments. It learns the classic **induction circuit**: a previous-token head in layer 0 and an induction head in
layer 1 that attends to the token *after* the previous occurrence of the current token and copies it.

Generated by `kernel-lib/models/train_demo_models.py gpt` (fixed seeds).

## Files

| file | what |
|---|---|
| `model.onnx` | `torch.onnx.export`, opset {OPSET}. Inputs `input_ids`, `attention_mask` (int64 `[batch_size, sequence_length]`), output `logits` (float32 `[batch_size, sequence_length, {V}]`). No attention outputs, no past key/values. |
| `tokenizer.json` | Hugging Face tokenizers format: `WordLevel` model over {V} tokens (`<|endoftext|>`, `<unk>`, the 26 letters, {len(GPT_WORDS)} words), `Lowercase` normalizer, `WhitespaceSplit` pre-tokenizer, TemplateProcessing that prepends `<|endoftext|>`. |
| `tokenizer_config.json` | special tokens (`<|endoftext|>` is bos/eos/pad, `<unk>`). |
| `config.json` | HF-style config (`model_type: gpt2`, plus the generic `hidden_size`/`num_attention_heads`/… names). |
| `heads.json` | measured head roles, per-head score tables, per-head ablations, training curve. |
| `reference.json` | tokenizer samples; for a repeated word sequence, torch attention probabilities `[layer][head][query][key]` and logits samples. |

Inputs are words separated by spaces, e.g. `tiger apple ocean stone tiger apple ocean` → `<|endoftext|> tiger apple ocean stone tiger apple ocean`.
Words outside the vocabulary map to `<unk>`. The model was always trained with `<|endoftext|>` at position 0 (the tokenizer adds it)
and on exactly {cfg['n_positions']} positions: inputs longer than {cfg['n_positions']} tokens are out of range.

## Training

Sequences of {T} tokens: `<|endoftext|>` + {T - 1} tokens drawn uniformly from the {V - n_special} content tokens, then
half of them get one random segment (4–{(T - 1) // 2} tokens) followed immediately by its copy, and the other half become
periodic after a random prefix (a random segment of 4–20 tokens repeated to the end). Loss: next-token cross-entropy on
every position. During the first {aux_steps} of the {steps} steps only, a training-only linear probe (not exported) also
predicts token *i−1* from the residual stream after layer 0 at position *i* (weight {aux_w}); it gets layer 0 to move
previous-token information early, which shortens the plateau before the induction circuit forms (in a trial run without
it, the same recipe reached the transition only after ~1,900 steps, with a more diffuse layer 0). The remaining steps use
the language-model loss alone, and the layer-1 induction heads are never supervised. Position embeddings are learned,
initialized with sinusoids. AdamW lr {lr0} (warmup 100, cosine, no weight decay), batch {bs},
`torch.set_num_threads({threads})`: {train_time / 60:.1f} min of training on this machine's CPU ({total_time / 60:.1f} min with
evaluation and export).

{fmt_table(curve_rows, ['step', 'train loss', 'loss, 1st copy', 'loss, 2nd copy'])}

(evaluation columns: 64 held-out `[BOS] S S` with 30 distinct tokens in `S`; `heads.json` has the curve every 100 steps.)

## Result (held-out)

On 256 sequences `[BOS] S S` with {L_seg} distinct random tokens in `S`: loss {first:.3f} nats/token on the first copy (uniform
guessing is {math.log(V - n_special):.3f}), **{second:.3f}** on the second copy, an in-context loss drop of **{first - second:.3f}** nats;
top-1 accuracy on the second copy {100 * acc2:.1f}%.

## Attention heads (measured)

Measured from the torch module's own softmax outputs. Layers and heads count from 0. Ablation: that head's output zeroed,
second-copy loss on 128 held-out `[BOS] S S` sequences (baseline {s0:.3f}).

{fmt_table(role_rows, ['head', 'role', 'score', 'second-copy loss when ablated']) if role_rows else '(no head passed the thresholds)'}

Previous-token score (mean weight on position i−1, random text):

{per_head_table(prev_random)}

Induction score (mean weight on the token after the previous occurrence, second copy):

{per_head_table(induction)}

Duplicate-token score (mean weight on the previous occurrence itself):

{per_head_table(duplicate)}

Weight on position 0 (`<|endoftext|>`):

{per_head_table(bos)}

## ONNX attention pattern

Every attention site is `{patterns[0]['pattern']}` (Softmax axis {patterns[0]['axis']}); Softmax nodes
{', '.join('`' + p['softmax'] + '`' for p in patterns)}. As in transformers' GPT-2: scores `MatMul(Q, Kᵀ)`, divided by
√head_dim, `Where(causal, scores, float32.min)` with the causal mask sliced from a constant lower-triangular buffer, then
`+ (1 - attention_mask) * -10000` (transformers uses float32.min there; -10000 keeps left-padded rows finite).
"""
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8") as f:
        f.write(readme)
    print(f"[gpt] done in {total_time:.0f}s; metrics {json.dumps(metrics)}")
    print(f"[gpt] roles: {json.dumps(roles)}")
    return heads


# ----------------------------------------------------------------------------------------------
# 3. tiny-reverse-encdec
# ----------------------------------------------------------------------------------------------

ED_SPECIALS = ["<pad>", "<s>", "</s>", "<unk>"]
ED_WORDS = (
    "one two three four five six seven eight nine ten red green blue black white pink gray brown "
    "cat dog fox owl bee cow pig hen ant bat sun moon star rain snow wind fire ice tree leaf rock sand"
).split()


def ed_vocab():
    vocab = {t: i for i, t in enumerate(ED_SPECIALS)}
    for w in ED_WORDS:
        vocab[w] = len(vocab)
    return vocab


class BartAttention(nn.Module):
    """transformers' BartAttention op order (Q scaled before the product), kept 4-D."""

    def __init__(self, d, h):
        super().__init__()
        self.embed_dim = d
        self.num_heads = h
        self.head_dim = d // h
        self.scaling = self.head_dim ** -0.5
        self.q_proj = nn.Linear(d, d)
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def _shape(self, x, bsz):
        return x.view(bsz, -1, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, hidden_states, key_value_states=None, attention_mask=None):
        bsz, tgt_len, _ = hidden_states.size()
        q = self._shape(self.q_proj(hidden_states) * self.scaling, bsz)
        src = hidden_states if key_value_states is None else key_value_states
        k = self._shape(self.k_proj(src), bsz)
        v = self._shape(self.v_proj(src), bsz)
        w = torch.matmul(q, k.transpose(-1, -2))
        if attention_mask is not None:
            w = w + attention_mask
        p = F.softmax(w, dim=-1)
        o = torch.matmul(p, v)
        o = o.transpose(1, 2).reshape(bsz, tgt_len, self.embed_dim)
        return self.out_proj(o), p


class BartEncoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["d_model"]
        self.self_attn = BartAttention(d, cfg["encoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, cfg["encoder_ffn_dim"])
        self.fc2 = nn.Linear(cfg["encoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, x, mask):
        a, p = self.self_attn(x, attention_mask=mask)
        x = self.self_attn_layer_norm(x + a)
        x = self.final_layer_norm(x + self.fc2(F.gelu(self.fc1(x))))
        return x, p


class BartDecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["d_model"]
        self.self_attn = BartAttention(d, cfg["decoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.encoder_attn = BartAttention(d, cfg["decoder_attention_heads"])
        self.encoder_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, cfg["decoder_ffn_dim"])
        self.fc2 = nn.Linear(cfg["decoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, x, self_mask, enc, enc_mask):
        a, ps = self.self_attn(x, attention_mask=self_mask)
        x = self.self_attn_layer_norm(x + a)
        a, pc = self.encoder_attn(x, key_value_states=enc, attention_mask=enc_mask)
        x = self.encoder_attn_layer_norm(x + a)
        x = self.final_layer_norm(x + self.fc2(F.gelu(self.fc1(x))))
        return x, ps, pc


def expand_mask(mask, dtype=torch.float32):
    m = mask[:, None, None, :].to(dtype)
    return (1.0 - m) * torch.finfo(dtype).min


class BartEncoder(nn.Module):
    def __init__(self, cfg, embed_tokens):
        super().__init__()
        d = cfg["d_model"]
        self.embed_tokens = embed_tokens
        self.embed_positions = nn.Embedding(cfg["max_position_embeddings"], d)
        self.layernorm_embedding = nn.LayerNorm(d)
        self.layers = nn.ModuleList([BartEncoderLayer(cfg) for _ in range(cfg["encoder_layers"])])

    def forward(self, input_ids, attention_mask):
        T = input_ids.size(1)
        pos = torch.arange(0, T, dtype=torch.long).unsqueeze(0)
        x = self.layernorm_embedding(self.embed_tokens(input_ids) + self.embed_positions(pos))
        m = expand_mask(attention_mask)
        probs = []
        for layer in self.layers:
            x, p = layer(x, m)
            probs.append(p)
        return x, probs


class BartDecoder(nn.Module):
    def __init__(self, cfg, embed_tokens):
        super().__init__()
        d = cfg["d_model"]
        self.embed_tokens = embed_tokens
        self.embed_positions = nn.Embedding(cfg["max_position_embeddings"], d)
        self.layernorm_embedding = nn.LayerNorm(d)
        self.layers = nn.ModuleList([BartDecoderLayer(cfg) for _ in range(cfg["decoder_layers"])])

    def forward(self, input_ids, encoder_hidden_states, encoder_attention_mask):
        T = input_ids.size(1)
        pos = torch.arange(0, T, dtype=torch.long).unsqueeze(0)
        x = self.layernorm_embedding(self.embed_tokens(input_ids) + self.embed_positions(pos))
        # causal mask as in transformers' _make_causal_mask
        causal = torch.full((T, T), torch.finfo(x.dtype).min)
        cond = torch.arange(T)
        causal = causal.masked_fill(cond < (cond + 1).view(T, 1), 0.0)[None, None, :, :]
        enc_mask = expand_mask(encoder_attention_mask)
        self_probs, cross_probs = [], []
        for layer in self.layers:
            x, ps, pc = layer(x, causal, encoder_hidden_states, enc_mask)
            self_probs.append(ps)
            cross_probs.append(pc)
        return x, self_probs, cross_probs


class BartModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.shared = nn.Embedding(cfg["vocab_size"], cfg["d_model"], padding_idx=cfg["pad_token_id"])
        self.encoder = BartEncoder(cfg, self.shared)
        self.decoder = BartDecoder(cfg, self.shared)


class BartForConditionalGeneration(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.model = BartModel(cfg)
        self.lm_head = nn.Linear(cfg["d_model"], cfg["vocab_size"], bias=False)
        self.lm_head.weight = self.model.shared.weight

    def forward(self, input_ids, attention_mask, decoder_input_ids):
        enc, enc_probs = self.model.encoder(input_ids, attention_mask)
        dec, sp, cp = self.model.decoder(decoder_input_ids, enc, attention_mask)
        return self.lm_head(dec), enc_probs, sp, cp


class EncoderExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.encoder = m.model.encoder

    def forward(self, input_ids, attention_mask):
        return self.encoder(input_ids, attention_mask)[0]


class DecoderExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.decoder = m.model.decoder
        self.lm_head = m.lm_head

    def forward(self, input_ids, encoder_hidden_states, encoder_attention_mask):
        h = self.decoder(input_ids, encoder_hidden_states, encoder_attention_mask)[0]
        return self.lm_head(h)


def ed_batch(rng, B, vocab, min_len, max_len):
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


def ed_greedy(model, src, mask, vocab, max_new):
    with torch.no_grad():
        enc, _ = model.model.encoder(src, mask)
        ys = torch.full((src.size(0), 1), vocab["<s>"], dtype=torch.long)
        done = torch.zeros(src.size(0), dtype=torch.bool)
        for _ in range(max_new):
            h, _, _ = model.model.decoder(ys, enc, mask)
            nxt = model.lm_head(h[:, -1]).argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, vocab["<pad>"]), nxt)
            ys = torch.cat([ys, nxt[:, None]], 1)
            done |= nxt == vocab["</s>"]
            if bool(done.all()):
                break
    return ys[:, 1:]


def train_encdec(out_dir, threads, quick=False):
    t_start = time.time()
    set_seed(77)
    rng = np.random.default_rng(77)
    vocab = ed_vocab()
    inv = {i: t for t, i in vocab.items()}
    V = len(vocab)
    min_len, max_len = 3, 16
    cfg = {
        "vocab_size": V, "d_model": 64, "encoder_layers": 2, "decoder_layers": 2,
        "encoder_attention_heads": 4, "decoder_attention_heads": 4,
        "encoder_ffn_dim": 256, "decoder_ffn_dim": 256, "max_position_embeddings": 32,
        "pad_token_id": vocab["<pad>"],
    }
    model = BartForConditionalGeneration(cfg)
    hf_init(model)
    n_params = sum(p.numel() for p in model.parameters())
    steps = 200 if quick else 3000
    bs = 64
    lr0 = 2e-3
    opt = torch.optim.AdamW(model.parameters(), lr=lr0, weight_decay=0.01)
    curve = []
    model.train()
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = warmup_cosine(step, steps, 200, lr0)
        src, mask, dec_in, labels, _ = ed_batch(rng, bs, vocab, min_len, max_len)
        logits, _, _, _ = model(src, mask, dec_in)
        loss = F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 250 == 0 or step == steps - 1:
            tok_acc = ((logits.argmax(-1) == labels) | (labels < 0)).all(-1).float().mean().item()
            curve.append({"step": step, "train_loss": r4(loss.item()), "teacher_forced_exact": r4(tok_acc)})
            print(f"[encdec] step {step} loss {loss.item():.4f} tf-exact {tok_acc:.3f} ({time.time() - t_start:.0f}s)", flush=True)
    train_time = time.time() - t_start
    model.eval()

    # ---------------- held-out evaluation ------------------------------------------------------
    ev = np.random.default_rng(12345)
    src, mask, dec_in, labels, seqs = ed_batch(ev, 1000, vocab, min_len, max_len)
    out = ed_greedy(model, src, mask, vocab, max_len + 2)
    exact = 0
    by_len = {}
    for b, x in enumerate(seqs):
        want = list(x[::-1]) + [vocab["</s>"]]
        got = out[b, : len(want)].tolist()
        ok = got == want
        exact += ok
        n = len(x)
        by_len.setdefault(n, [0, 0])
        by_len[n][0] += ok
        by_len[n][1] += 1
    metrics = {
        "greedy_exact_match": r4(exact / len(seqs)),
        "eval_sequences": len(seqs),
        "lengths": [min_len, max_len],
        "exact_match_by_length": {str(k): r4(v[0] / v[1]) for k, v in sorted(by_len.items())},
    }
    with torch.no_grad():
        logits, enc_p, self_p, cross_p = model(src, mask, dec_in)
    metrics["teacher_forced_token_accuracy"] = r4(((logits.argmax(-1) == labels)[labels >= 0]).float().mean())

    NLd = cfg["decoder_layers"]
    NLe = cfg["encoder_layers"]
    H = cfg["decoder_attention_heads"]
    CP = torch.stack(cross_p, 1).numpy()  # [B, L, H, Tdec, Tsrc]
    SP = torch.stack(self_p, 1).numpy()
    EP = torch.stack(enc_p, 1).numpy()
    out_align = np.zeros((NLd, H))  # argmax == source of the token being produced
    out_weight = np.zeros((NLd, H))
    in_align = np.zeros((NLd, H))  # argmax == source of the decoder input token
    in_weight = np.zeros((NLd, H))
    eos_w = np.zeros((NLd, H))
    n_out = n_in = 0
    dec_prev = np.zeros((NLd, H))
    dec_first = np.zeros((NLd, H))
    n_dec = 0
    enc_prev = np.zeros((NLe, H))
    enc_next = np.zeros((NLe, H))
    enc_eos = np.zeros((NLe, H))
    enc_mirror = np.zeros((NLe, H))
    n_enc = 0
    for b, x in enumerate(seqs):
        n = len(x)
        for t in range(n):  # decoder position t produces x[n-1-t]
            row = CP[b, :, :, t, : n + 1]
            out_align += row.argmax(-1) == (n - 1 - t)
            out_weight += row[:, :, n - 1 - t]
            eos_w += row[:, :, n]
            n_out += 1
            if t >= 1:  # decoder input at t is x[n-t]
                in_align += row.argmax(-1) == (n - t)
                in_weight += row[:, :, n - t]
                n_in += 1
        for t in range(1, n + 1):
            dec_prev += SP[b, :, :, t, t - 1]
            dec_first += SP[b, :, :, t, 0]
            n_dec += 1
        for i in range(n):
            enc_eos += EP[b, :, :, i, n]
            enc_mirror += EP[b, :, :, i, n - 1 - i]
            if i >= 1:
                enc_prev += EP[b, :, :, i, i - 1]
            enc_next += EP[b, :, :, i, i + 1]
            n_enc += 1
    out_align /= n_out
    out_weight /= n_out
    in_align /= n_in
    in_weight /= n_in
    eos_w /= n_out
    dec_prev /= n_dec
    dec_first /= n_dec
    enc_prev /= n_enc
    enc_next /= n_enc
    enc_eos /= n_enc
    enc_mirror /= n_enc

    roles = []
    for l in range(NLd):
        for h in range(H):
            cs = {"stack": "decoder", "kind": "cross", "layer": l, "head": h}
            if out_align[l, h] >= 0.5:
                roles.append({**cs, "role": "alignment (source token being produced)", "score": r4(out_align[l, h]),
                              "metric": "fraction of target positions whose argmax source position is the aligned source token (target t -> source n-1-t)",
                              "mean_weight": r4(out_weight[l, h])})
            if in_align[l, h] >= 0.5:
                roles.append({**cs, "role": "alignment (source of the decoder input token)", "score": r4(in_align[l, h]),
                              "metric": "fraction of target positions t>=1 whose argmax source position is that of the decoder input token (source n-t)",
                              "mean_weight": r4(in_weight[l, h])})
            if eos_w[l, h] >= 0.5:
                roles.append({**cs, "role": "attend-to-</s>", "score": r4(eos_w[l, h]), "metric": "mean cross-attention weight on the source </s>"})
            ss = {"stack": "decoder", "kind": "self", "layer": l, "head": h}
            if dec_prev[l, h] >= 0.5:
                roles.append({**ss, "role": "previous-token", "score": r4(dec_prev[l, h]), "metric": "mean weight on position t-1"})
            if dec_first[l, h] >= 0.5:
                roles.append({**ss, "role": "attend-to-first", "score": r4(dec_first[l, h]), "metric": "mean weight on position 0 (<s>)"})
    for l in range(NLe):
        for h in range(H):
            es = {"stack": "encoder", "kind": "self", "layer": l, "head": h}
            for mat, role, metric in [
                (enc_prev, "previous-token", "mean weight on position i-1"),
                (enc_next, "next-token", "mean weight on position i+1"),
                (enc_eos, "attend-to-</s>", "mean weight on the source </s>"),
                (enc_mirror, "mirror (n-1-i)", "mean weight on the mirrored position n-1-i"),
            ]:
                if mat[l, h] >= 0.5:
                    roles.append({**es, "role": role, "score": r4(mat[l, h]), "metric": metric})

    # ---------------- export -------------------------------------------------------------------
    os.makedirs(out_dir, exist_ok=True)
    demo_src = "one two three four five six"
    d_ids = [vocab[w] for w in demo_src.split()] + [vocab["</s>"]]
    ds = torch.tensor([d_ids, d_ids])
    dm = torch.ones_like(ds)
    enc_path = os.path.join(out_dir, "encoder_model.onnx")
    dec_path = os.path.join(out_dir, "decoder_model.onnx")
    enc_model = export_onnx(
        EncoderExport(model), (ds, dm), enc_path, ["input_ids", "attention_mask"], ["last_hidden_state"],
        {"input_ids": {0: "batch_size", 1: "encoder_sequence_length"},
         "attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
         "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length"}},
    )
    with torch.no_grad():
        ehs, _ = model.model.encoder(ds, dm)
    dd = torch.tensor([[vocab["<s>"]] + d_ids[:3]] * 2)
    dec_model = export_onnx(
        DecoderExport(model), (dd, ehs, dm), dec_path,
        ["input_ids", "encoder_hidden_states", "encoder_attention_mask"], ["logits"],
        {"input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
         "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
         "encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
         "logits": {0: "batch_size", 1: "decoder_sequence_length"}},
    )
    enc_pat = softmax_patterns(enc_model)
    dec_pat = softmax_patterns(dec_model)

    post = {
        "type": "TemplateProcessing",
        "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                 {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
        "special_tokens": {"</s>": {"id": "</s>", "ids": [vocab["</s>"]], "tokens": ["</s>"]}},
    }
    write_json(os.path.join(out_dir, "tokenizer.json"), word_level_tokenizer_json(vocab, ED_SPECIALS, post))
    write_json(os.path.join(out_dir, "tokenizer_config.json"), {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>",
        "model_max_length": cfg["max_position_embeddings"], "clean_up_tokenization_spaces": False,
        "added_tokens_decoder": {str(vocab[t]): {k: v for k, v in special(vocab[t], t).items() if k != "id"} for t in ED_SPECIALS},
    })
    config = {
        "model_type": "bart",
        "architectures": ["BartForConditionalGeneration"],
        "is_encoder_decoder": True,
        **cfg,
        "hidden_size": cfg["d_model"],
        "num_attention_heads": cfg["encoder_attention_heads"],
        "num_hidden_layers": cfg["encoder_layers"],
        "activation_function": "gelu",
        "scale_embedding": False,
        "normalize_before": False,
        "add_final_layer_norm": False,
        "dropout": 0.0, "attention_dropout": 0.0, "activation_dropout": 0.0,
        "bos_token_id": vocab["<s>"], "eos_token_id": vocab["</s>"], "unk_token_id": vocab["<unk>"],
        "decoder_start_token_id": vocab["<s>"],
        "forced_eos_token_id": vocab["</s>"],
        "tie_word_embeddings": True,
        "attnlens_demo": {"task": "reverse the input word sequence", "alignment": "target position t (0-based, before </s>) <- source position n-1-t",
                          "differences_from_bart": "learned positions without BART's +2 offset; attention kept 4-D (no bmm reshape)",
                          "script": "kernel-lib/models/train_demo_models.py"},
    }
    write_json(os.path.join(out_dir, "config.json"), config)

    with torch.no_grad():
        dsrc = torch.tensor([d_ids])
        dmask = torch.ones_like(dsrc)
        gen = ed_greedy(model, dsrc, dmask, vocab, len(d_ids) + 1)[0].tolist()
        dec_ids = [vocab["<s>"]] + gen[: gen.index(vocab["</s>"])] if vocab["</s>"] in gen else [vocab["<s>"]] + gen
        enc_h, ep = model.model.encoder(dsrc, dmask)
        lg, sp, cp = model.model.decoder(torch.tensor([dec_ids]), enc_h, dmask)
        lg = model.lm_head(lg)
    samples = []
    for text in [demo_src, "Red green BLUE", "cat dog fox owl bee", "hello cat"]:
        toks = [t if t in vocab else "<unk>" for t in text.lower().split()] + ["</s>"]
        samples.append({"text": text, "tokens": toks, "ids": [vocab[t] for t in toks]})
    reference = {
        "tokenizer_samples": samples,
        "probe": {
            "source_text": demo_src, "source_tokens": [inv[i] for i in d_ids], "input_ids": d_ids, "attention_mask": [1] * len(d_ids),
            "generated_ids": gen, "generated_tokens": [inv[i] for i in gen],
            "decoder_input_ids": dec_ids, "decoder_tokens": [inv[i] for i in dec_ids],
            "encoder_sites": [{"stack": "encoder", "kind": "self", "layer": l, "softmax": enc_pat[l]["softmax"]} for l in range(NLe)],
            "decoder_sites": [{"stack": "decoder", "kind": k["kind"], "layer": k["layer"], "softmax": k["softmax"]} for k in
                              [{"kind": "self" if "self_attn" in p["softmax"] else "cross", "layer": int(re.search(r"layers\.(\d+)", p["softmax"]).group(1)), "softmax": p["softmax"]} for p in dec_pat]],
            "encoder_attention": [nested_round(ep[l][0]) for l in range(NLe)],
            "decoder_self_attention": [nested_round(sp[l][0]) for l in range(NLd)],
            "cross_attention": [nested_round(cp[l][0]) for l in range(NLd)],
            "encoder_last_hidden_state_sample": nested_round(enc_h[0, :, :8]),
            "logits_argmax": lg[0].argmax(-1).tolist(),
            "logits_sample": {"positions": [0, len(dec_ids) - 1], "values": [nested_round(lg[0, p, :16]) for p in [0, len(dec_ids) - 1]]},
        },
    }
    write_compact_json(os.path.join(out_dir, "reference.json"), reference)
    sites = [{"stack": "encoder", "kind": "self", "layer": l, "heads": H, "causal": False, "onnx_file": "encoder_model.onnx", "onnx_softmax": enc_pat[l]["softmax"]} for l in range(NLe)]
    for p in dec_pat:
        kind = "self" if "self_attn" in p["softmax"] else "cross"
        sites.append({"stack": "decoder", "kind": kind, "layer": int(re.search(r"layers\.(\d+)", p["softmax"]).group(1)), "heads": H,
                      "causal": kind == "self", "onnx_file": "decoder_model.onnx", "onnx_softmax": p["softmax"]})
    heads = {
        "model": "tiny-reverse-encdec",
        "measured_with": "torch module attention probabilities, teacher-forced on 1000 held-out random sequences",
        "sites": sites,
        "roles": roles,
        "head_scores": {
            "cross_alignment_argmax_rate_output_token": nested_round(out_align, 4),
            "cross_alignment_mean_weight_output_token": nested_round(out_weight, 4),
            "cross_alignment_argmax_rate_input_token": nested_round(in_align, 4),
            "cross_alignment_mean_weight_input_token": nested_round(in_weight, 4),
            "cross_weight_on_eos": nested_round(eos_w, 4),
            "decoder_self_previous_token": nested_round(dec_prev, 4),
            "decoder_self_first_token": nested_round(dec_first, 4),
            "encoder_previous_token": nested_round(enc_prev, 4),
            "encoder_next_token": nested_round(enc_next, 4),
            "encoder_eos": nested_round(enc_eos, 4),
            "encoder_mirror": nested_round(enc_mirror, 4),
        },
        "metrics": metrics,
        "training_curve": curve,
    }
    write_json(os.path.join(out_dir, "heads.json"), heads)
    total_time = time.time() - t_start

    role_rows = [[f"{r['stack']} {r['kind']} layer {r['layer']} head {r['head']}", r["role"], f"{r['score']:.3f}"] for r in roles]
    curve_rows = [[c["step"], f"{c['train_loss']:.4f}", f"{c['teacher_forced_exact']:.3f}"] for c in curve]
    len_rows = [[k, f"{v:.3f}"] for k, v in metrics["exact_match_by_length"].items()]
    readme = f"""# tiny-reverse-encdec

A small BART-style encoder–decoder (2 encoder + 2 decoder layers, 4 heads, width {cfg['d_model']}, post-LayerNorm, learned
absolute positions up to {cfg['max_position_embeddings']}, tied embeddings, {n_params:,} parameters) trained to **reverse a sequence of words**:
`one two three four` → `four three two one`. The cross-attention therefore has a known alignment: target position `t`
(0-based) copies source position `n-1-t`, an anti-diagonal.

Generated by `kernel-lib/models/train_demo_models.py encdec` (fixed seeds).

## Files (Hugging Face optimum's split layout)

| file | what |
|---|---|
| `encoder_model.onnx` | inputs `input_ids`, `attention_mask` (int64 `[batch_size, encoder_sequence_length]`) → `last_hidden_state` (float32 `[batch_size, encoder_sequence_length, {cfg['d_model']}]`). |
| `decoder_model.onnx` | inputs `input_ids` (decoder tokens, int64 `[batch_size, decoder_sequence_length]`), `encoder_hidden_states` (float32 `[batch_size, encoder_sequence_length, {cfg['d_model']}]`), `encoder_attention_mask` (int64) → `logits` (float32 `[batch_size, decoder_sequence_length, {V}]`). Causal self-attention + cross-attention, no past key/values, no attention outputs. |
| `tokenizer.json` | Hugging Face tokenizers format: `WordLevel` over {V} tokens (`<pad>` `<s>` `</s>` `<unk>` + {len(ED_WORDS)} words), `Lowercase`, `WhitespaceSplit`, TemplateProcessing appending `</s>`. |
| `tokenizer_config.json` | special tokens. |
| `config.json` | HF-style config (`model_type: bart`, `decoder_start_token_id` {vocab['<s>']} = `<s>`, `eos_token_id` {vocab['</s>']}, `pad_token_id` {vocab['<pad>']}). |
| `heads.json` | measured head roles and per-head score tables, greedy accuracy, training curve. |
| `reference.json` | tokenizer samples; for `{demo_src}`: greedy output, torch encoder/decoder-self/cross attention probabilities `[layer][head][query][key]`, logits samples. |

Decoding: encode `words …` (the tokenizer appends `</s>`), start the decoder with `<s>` (id {vocab['<s>']}), feed back the argmax until `</s>`.

## Training

Source: {min_len}–{max_len} words drawn uniformly (with repetition) from the {len(ED_WORDS)} words, then `</s>`; target: the words in
reverse order, then `</s>`; decoder input `<s>` + reversed words. Cross-entropy, AdamW lr {lr0} (warmup 200, cosine), batch {bs},
{steps} steps, `torch.set_num_threads({threads})`: {train_time / 60:.1f} min of training on this machine's CPU ({total_time / 60:.1f} min with
evaluation and export).

{fmt_table(curve_rows, ['step', 'train loss', 'teacher-forced exact (batch)'])}

## Accuracy (held-out)

Greedy decoding, exact match of the whole output (reversed words + `</s>`) on 1000 fresh random sequences:
**{metrics['greedy_exact_match']:.3f}**; teacher-forced token accuracy {metrics['teacher_forced_token_accuracy']:.4f}.

{fmt_table(len_rows, ['source words', 'exact match'])}

## Attention heads (measured)

Teacher-forced on the same 1000 held-out sequences; torch softmax outputs. "Alignment" = fraction of target positions
`t < n` whose cross-attention argmax is the source position `n-1-t` of the word being produced (the anti-diagonal); the
"input-token" variant uses the source position `n-t` of the word just fed to the decoder.

{fmt_table(role_rows, ['site, head', 'role', 'score']) if role_rows else '(no head passed the thresholds)'}

Cross-attention alignment rate (output token) per head:

{per_head_table(out_align, '{:.3f}')}

… mean weight on the aligned source token:

{per_head_table(out_weight)}

Cross-attention alignment rate (input token) per head:

{per_head_table(in_align, '{:.3f}')}

## ONNX attention patterns

* encoder self-attention: `{enc_pat[0]['pattern']}`; Softmax nodes {', '.join('`' + p['softmax'] + '`' for p in enc_pat)}.
* decoder: {'; '.join('`' + p['softmax'] + '`: `' + p['pattern'] + '`' for p in dec_pat)}.

As in transformers' BART, Q is multiplied by head_dim^-0.5 *before* `MatMul(Q, Kᵀ)` (a `Mul` on the Q path, not a `Div`
after the product; here `Mul → Reshape → Transpose` on Q, `Reshape → Transpose` to Kᵀ on K). Masks are additive:
`(1 - mask) * float32.min` for padding (encoder self-attention and cross-attention, from `attention_mask` /
`encoder_attention_mask`), and for the decoder self-attention a causal mask built at run time from the decoder
length (`Range`, `Less`, `Where(·, 0, float32.min)`, two `Unsqueeze`), as in transformers' `_make_causal_mask`.
In cross-attention K and V are computed from the `encoder_hidden_states` graph input.
"""
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8") as f:
        f.write(readme)
    print(f"[encdec] done in {total_time:.0f}s; metrics {json.dumps(metrics)}")
    print(f"[encdec] roles: {json.dumps(roles)}")
    return heads


# ----------------------------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------------------------

MODELS = {
    "bert": ("tiny-agreement-bert", lambda d, t, q: train_bert(d, t, q)),
    "gpt": ("tiny-induction-gpt", lambda d, t, q: train_gpt(d, t, q)),
    "encdec": ("tiny-reverse-encdec", lambda d, t, q: train_encdec(d, t, q)),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", help="bert, gpt, encdec (default: all)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--out", default=HERE, help="parent directory of the model directories")
    ap.add_argument("--quick", action="store_true", help="a few hundred steps only (smoke test; do not commit)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if "BLAS_INFO=generic" in torch.__config__.show() and "openblas" not in os.environ.get("LD_LIBRARY_PATH", ""):
        print("note: this torch uses the reference BLAS; training will be ~10x slower (see the docstring for OpenBLAS)", file=sys.stderr)
    names = a.models or list(MODELS)
    for n in names:
        if n not in MODELS:
            sys.exit(f"unknown model {n!r}; choose from {', '.join(MODELS)}")
    for n in names:
        dirname, fn = MODELS[n]
        fn(os.path.join(a.out, dirname), a.threads, a.quick)


if __name__ == "__main__":
    main()
