"""tiny-agreement-bert's heads.json: the measured roles, score tables, probes and accuracy."""

import os

from ..attention_sites import heads_json_site
from ..output_files import write_json
from ..rounding import nested_round, r4


def write_heads_json(out_dir, patterns, scores, found, probes, agree_probes, metrics):
    """found: what roles.find_roles picked."""
    coref_s, agree_s = scores["coref"], scores["agree"]
    coref_by_class = scores["coref_by_class"]
    L, H = coref_s["target"].shape
    heads = {
        "model": "tiny-agreement-bert",
        "measured_with": "torch module attention probabilities (softmax outputs) on held-out generated sentences, unmasked inputs",
        "sites": [heads_json_site("encoder", "self", l, H, False, patterns[l]["softmax"]) for l in range(L)],
        "roles": found["roles"],
        "best_single_pronoun_head": found["overall_pron"],
        "best_positional": found["positional_best"],
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
            **{f"{k}_mean": nested_round(v, 4) for k, v in scores["positional"].items()},
        },
        "probes": probes,
        "agreement_probes": agree_probes,
        "metrics": {k: (r4(v) if isinstance(v, float) else v) for k, v in metrics.items()},
    }
    write_json(os.path.join(out_dir, "heads.json"), heads)
    return heads
