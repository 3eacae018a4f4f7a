"""tiny-induction-gpt's heads.json: roles, score tables, ablations, metrics and the training curve."""

import os

from ..attention_sites import heads_json_site
from ..output_files import write_json
from ..rounding import nested_round, r4

# heads.json key -> score table
SCORE_TABLES = {
    "previous_token_random_text": "prev_random",
    "previous_token_repeated_text": "prev_score",
    "induction": "induction",
    "duplicate_token": "duplicate",
    "first_token": "bos",
}


def write_heads_json(out_dir, patterns, tables, roles, ablation, metrics, curve):
    """ablation: (per-head results, baseline first-half loss, baseline second-half loss)."""
    per_head, f0, s0 = ablation
    NL, H = tables["induction"].shape
    heads = {
        "model": "tiny-induction-gpt",
        "measured_with": "torch module attention probabilities on held-out random sequences",
        "sites": [heads_json_site("decoder", "self", l, H, True, patterns[l]["softmax"]) for l in range(NL)],
        "roles": roles,
        "head_scores": {key: nested_round(tables[name], 4) for key, name in SCORE_TABLES.items()},
        "ablation": {"baseline_second_half_loss": r4(s0), "baseline_first_half_loss": r4(f0), "per_head": per_head},
        "metrics": metrics,
        "training_curve": curve,
    }
    write_json(os.path.join(out_dir, "heads.json"), heads)
    return heads
