"""The words of the synthetic agreement/pronoun language and the BERT vocabulary built from them."""

from ..tokenizer_files import build_vocab

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
    words = list(FUNCTION_WORDS)
    words += [w for pair in ANIMATE + INANIMATE for w in pair]
    words += ANIM_ADJ + INANIM_ADJ + PLACE_VERBS + THING_VERBS + TO_ANIM_VERBS + CONNECTIVES + PREPS
    words += [w for pair in NEG_PAST + NEG_PRES + RC_VERBS + COPULAS + INTRANS + PERFECT for w in pair]
    words += ADVERBS + PARTICIPLES
    # a few WordPiece continuation pieces so that unseen plurals/verb forms do not all become [UNK]
    words += ["##s", "##es", "##ed", "##ing", "##n"]
    return build_vocab(BERT_SPECIALS, words)


# plural nouns, for spotting an attractor of the other number
PLURALS = {p for _, p in ANIMATE + INANIMATE}
# every number-marked word -> its other-number form (the pair the accuracy measures compare)
NUMBER_PAIRS = {}
for _a, _b in NEG_PRES[:1] + RC_VERBS + COPULAS + INTRANS + PERFECT + [("it", "they")]:
    NUMBER_PAIRS[_a] = _b
    NUMBER_PAIRS[_b] = _a
