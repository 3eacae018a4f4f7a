"""tiny-reverse-encdec's heads.json: sites in both ONNX files, roles, score tables, metrics, training curve."""

import os

from ..attention_sites import decoder_softmax_site, heads_json_site
from ..output_files import write_json
from ..rounding import nested_round

# heads.json key -> score table
SCORE_TABLES = {
    "cross_alignment_argmax_rate_output_token": "out_align",
    "cross_alignment_mean_weight_output_token": "out_weight",
    "cross_alignment_argmax_rate_input_token": "in_align",
    "cross_alignment_mean_weight_input_token": "in_weight",
    "cross_weight_on_eos": "eos_w",
    "decoder_self_previous_token": "dec_prev",
    "decoder_self_first_token": "dec_first",
    "encoder_previous_token": "enc_prev",
    "encoder_next_token": "enc_next",
    "encoder_eos": "enc_eos",
    "encoder_mirror": "enc_mirror",
}


def write_heads_json(out_dir, enc_pat, dec_pat, tables, roles, metrics, curve):
    H = tables["out_align"].shape[1]
    sites = [heads_json_site("encoder", "self", l, H, False, p["softmax"], onnx_file="encoder_model.onnx") for l, p in enumerate(enc_pat)]
    for p in dec_pat:
        kind, layer = decoder_softmax_site(p["softmax"])
        sites.append(heads_json_site("decoder", kind, layer, H, kind == "self", p["softmax"], onnx_file="decoder_model.onnx"))
    heads = {
        "model": "tiny-reverse-encdec",
        "measured_with": "torch module attention probabilities, teacher-forced on 1000 held-out random sequences",
        "sites": sites,
        "roles": roles,
        "head_scores": {key: nested_round(tables[name], 4) for key, name in SCORE_TABLES.items()},
        "metrics": metrics,
        "training_curve": curve,
    }
    write_json(os.path.join(out_dir, "heads.json"), heads)
    return heads
