"""Generator of the synthetic language: agreement sentences and Winograd-like pronoun sentences,
annotated with the positions the head measurements need."""

from .lexicon import (
    ADVERBS,
    ANIM_ADJ,
    ANIMATE,
    CONNECTIVES,
    COPULAS,
    INANIM_ADJ,
    INANIMATE,
    INTRANS,
    NEG_PAST,
    NEG_PRES,
    PARTICIPLES,
    PERFECT,
    PLACE_VERBS,
    PLACES,
    PLURALS,
    PREPS,
    RC_VERBS,
    THING_VERBS,
    THINGS,
    TO_ANIM_VERBS,
)


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


def surface(tokens):
    """Turn a list of (lowercase) word tokens into an English-looking sentence."""
    s = " ".join(tokens)
    s = s.replace(" ' t", "'t").replace(" .", ".").replace(" ,", ",")
    return s[0].upper() + s[1:]
