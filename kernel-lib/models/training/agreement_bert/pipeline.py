"""tiny-agreement-bert from seed to files: train, evaluate, measure and name heads, export, write the card."""

import json
import os
import random
import time

from ..optimization import set_seed
from .evaluate import evaluate, held_out_sentences
from .export import export_model, write_tokenizer_and_config
from .head_scores import measure_head_scores
from .heads_json import write_heads_json
from .lexicon import ANIMATE, INANIMATE, bert_vocab
from .model import BertForMaskedLM
from .model_card import write_model_card
from .probes import agreement_probes, pronoun_probes
from .reference import write_reference
from .roles import find_roles
from .train import model_config, train

SEED = 1234


def train_and_export(out_dir, threads, quick=False):
    t_start = time.time()
    set_seed(SEED)
    rng = random.Random(SEED)
    vocab = bert_vocab()
    nouns = [w for pair in ANIMATE + INANIMATE for w in pair]
    noun_index = {w: i for i, w in enumerate(nouns)}
    cfg = model_config(len(vocab))
    model = BertForMaskedLM(cfg, len(nouns))
    n_params = sum(p.numel() for p in model.parameters())
    steps = 300 if quick else 4000
    train(model, vocab, noun_index, rng, steps, t_start)
    train_time = time.time() - t_start
    model.eval()

    coref_exs, agree_exs = held_out_sentences()
    metrics, probs_coref, probs_agree = evaluate(model, vocab, noun_index, coref_exs, agree_exs)
    scores = measure_head_scores(probs_coref, coref_exs, probs_agree, agree_exs, vocab)
    found = find_roles(scores)
    probes = pronoun_probes(model, vocab, found["class_head"])
    agree_probes = agreement_probes(model, vocab, found["verb_head"])

    os.makedirs(out_dir, exist_ok=True)
    patterns = export_model(model, vocab, out_dir)
    write_tokenizer_and_config(out_dir, vocab, cfg)
    write_reference(out_dir, model, vocab, patterns)
    heads = write_heads_json(out_dir, patterns, scores, found, probes, agree_probes, metrics)
    total_time = time.time() - t_start
    run = {"n_params": n_params, "n_nouns": len(nouns), "steps": steps, "threads": threads,
           "train_time": train_time, "total_time": total_time}
    write_model_card(out_dir, cfg, vocab, run, metrics, scores, found, probes, agree_probes, patterns)
    print(f"[bert] done in {total_time:.0f}s; metrics {json.dumps(heads['metrics'])}")
    print(f"[bert] roles: {json.dumps(found['roles'])[:2000]}")
    return heads
