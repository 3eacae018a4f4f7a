"""Hand-written probe sentences run through tiny-agreement-bert, with the chosen heads' weights on them."""

import torch

from ..rounding import r4
from .lexicon import ANIMATE, NUMBER_PAIRS, SEED_SENTENCE
from .roles import encoder_head
from .wordpiece import bert_tokenize

# (text, antecedent, other noun, second sentence of a pair)
PRONOUN_PROBES = [
    (SEED_SENTENCE, "animal", "street", None),
    ("The animal didn't cross the street because it was too wide.", "street", "animal", None),
    ("The animals didn't cross the street because they were too tired.", "animals", "street", None),
    ("The animal didn't cross the streets because they were too wide.", "streets", "animal", None),
    ("The animal didn't cross the street.", "animal", "street", "It was too tired."),
    ("The box didn't fit the dog because it was too big.", "box", "dog", None),
    ("The box didn't fit the dog because it was too hungry.", "dog", "box", None),
]
# (text, subject, attractor)
AGREEMENT_PROBES = [
    ("The dog near the cars is hungry.", "dog", "cars"),
    ("The dogs near the car are hungry.", "dogs", "car"),
    ("The boy that the girls like runs outside.", "boy", "girls"),
    ("The boxes behind the chair with the cats have arrived.", "boxes", "chair"),
]


def run_text(model, vocab, text, pair=None):
    """Tokenize one text (or pair) and run it -> tokens, token types, ids, logits [T, V], probs [L, H, T, T]."""
    toks, tt = bert_tokenize(text, vocab, pair)
    ids_ = torch.tensor([[vocab[t] for t in toks]])
    with torch.no_grad():
        lg, _, pr = model(ids_, torch.ones_like(ids_), torch.tensor([tt]))
    return toks, tt, ids_[0].tolist(), lg[0], torch.stack(pr, 1)[0]


def pronoun_probes(model, vocab, class_head):
    """Each probe read in its antecedent class's head, plus every head that prefers the antecedent by > 0.1."""
    animate_words = {w for pair in ANIMATE for w in pair}
    probes = []
    for text, ante, distr, pair in PRONOUN_PROBES:
        toks, _, _, _, pr = run_text(model, vocab, text, pair)
        L, H = pr.shape[0], pr.shape[1]
        pi = [i for i, t in enumerate(toks) if t in ("it", "they")][0]
        ai = toks.index(ante)
        di = toks.index(distr)
        ch = class_head["animate" if ante in animate_words else "inanimate"]
        cl, chh = ch["layer"], ch["head"]
        probes.append({
            "text": text, "pair": pair, "tokens": toks, "pronoun_index": pi, "antecedent_index": ai, "distractor_index": di,
            "antecedent_class": "animate" if ante in animate_words else "inanimate",
            "class_head": {**encoder_head(cl, chh), "to_antecedent": r4(pr[cl, chh, pi, ai]), "to_distractor": r4(pr[cl, chh, pi, di])},
            "heads_preferring_antecedent": [
                {"layer": ll, "head": hh, "to_antecedent": r4(pr[ll, hh, pi, ai]), "to_distractor": r4(pr[ll, hh, pi, di])}
                for ll in range(L) for hh in range(H) if pr[ll, hh, pi, ai] > pr[ll, hh, pi, di] + 0.1
            ],
        })
    return probes


def agreement_probes(model, vocab, verb_head):
    """Each probe read in the best verb->subject head (layer, head)."""
    bl, bh = verb_head
    probes = []
    for text, subj, attr in AGREEMENT_PROBES:
        toks, _, _, _, pr = run_text(model, vocab, text)
        vi = [i for i, t in enumerate(toks) if t in NUMBER_PAIRS and i > toks.index(attr)][-1]
        si, ai = toks.index(subj), toks.index(attr)
        probes.append({"text": text, "tokens": toks, "verb_index": vi, "subject_index": si, "attractor_index": ai,
                       "best_head": {**encoder_head(bl, bh), "to_subject": r4(pr[bl, bh, vi, si]), "to_attractor": r4(pr[bl, bh, vi, ai])}})
    return probes
