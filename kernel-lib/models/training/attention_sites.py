"""How heads.json and reference.json name an attention site (stack, kind, layer) and a head in it."""

import re


def head_site(stack, kind, layer, head):
    return {"stack": stack, "kind": kind, "layer": int(layer), "head": head}


def reference_site(stack, kind, layer, softmax):
    """A site in reference.json: which ONNX Softmax holds the probabilities next to it."""
    return {"stack": stack, "kind": kind, "layer": layer, "softmax": softmax}


def heads_json_site(stack, kind, layer, heads, causal, softmax, onnx_file=None):
    """A site in heads.json; onnx_file only for models split over several ONNX files."""
    site = {"stack": stack, "kind": kind, "layer": layer, "heads": heads, "causal": causal}
    if onnx_file is not None:
        site["onnx_file"] = onnx_file
    site["onnx_softmax"] = softmax
    return site


def decoder_softmax_site(softmax_name):
    """(kind, layer) of a decoder Softmax, read from its node name (/decoder/layers.1/encoder_attn/Softmax)."""
    kind = "self" if "self_attn" in softmax_name else "cross"
    return kind, int(re.search(r"layers\.(\d+)", softmax_name).group(1))
