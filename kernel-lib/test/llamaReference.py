"""Independent numpy re-implementation of the Llama-like decoder (kernel-lib/src/testing/construct/llamaLike.ts),
written from transformers' LlamaModel equations, not from the ONNX graph: weights are read from the
model's initializers by name, the computation is numpy. Prints {"logits": [...], "probs": [...]} as JSON:
logits [T, vocab] and layer 0's attention probabilities [heads, T, T] for one unpadded sample.

usage: llamaReference.py model.onnx '{"heads":4,"kvHeads":2,"headSize":16,...}' '[ids...]'
"""
import json
import re
import sys

import numpy as np
import onnx
from onnx import numpy_helper

model_path, shape_json, ids_json = sys.argv[1:4]
shape = json.loads(shape_json)
ids = np.array(json.loads(ids_json), dtype=np.int64)
H, KV, D = shape["heads"], shape["kvHeads"], shape["headSize"]
theta = shape.get("ropeTheta", 10000.0)
eps = shape.get("rmsEps", 1e-5)

weights = {}
for init in onnx.load(model_path).graph.initializer:
    name = re.sub(r"_\d+$", "", init.name)  # GraphBuilder appends a running count
    if name.endswith(".weight"):
        assert name not in weights, f"two initializers named {name}"
        weights[name] = numpy_helper.to_array(init).astype(np.float64)


def rms_norm(x, g):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * g


def rope(x):  # x [heads, T, D]; rotate_half as transformers' apply_rotary_pos_emb
    t = x.shape[1]
    inv_freq = theta ** (-np.arange(0, D, 2, dtype=np.float64) / D)
    freqs = np.outer(np.arange(t, dtype=np.float64), inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)
    rotated = np.concatenate([-x[..., D // 2 :], x[..., : D // 2]], axis=-1)
    return x * np.cos(emb) + rotated * np.sin(emb)


T = len(ids)
h = weights["embed_tokens.weight"][ids]
first_probs = None
for layer in range(shape["layers"]):
    p = f"/model/layers.{layer}"
    x = rms_norm(h, weights[f"{p}/input_layernorm.weight"])
    q = (x @ weights[f"{p}/self_attn/q_proj.weight"]).reshape(T, H, D).transpose(1, 0, 2)
    k = (x @ weights[f"{p}/self_attn/k_proj.weight"]).reshape(T, KV, D).transpose(1, 0, 2)
    v = (x @ weights[f"{p}/self_attn/v_proj.weight"]).reshape(T, KV, D).transpose(1, 0, 2)
    q, k = rope(q), rope(k)
    k = np.repeat(k, H // KV, axis=0)  # query head h reads KV head h // (H / KV)
    v = np.repeat(v, H // KV, axis=0)
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(D)
    scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
    scores -= scores.max(axis=-1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=-1, keepdims=True)
    if first_probs is None:
        first_probs = probs
    context = (probs @ v).transpose(1, 0, 2).reshape(T, H * D)
    h = h + context @ weights[f"{p}/self_attn/o_proj.weight"]
    y = rms_norm(h, weights[f"{p}/post_attention_layernorm.weight"])
    gate = y @ weights[f"{p}/mlp/gate_proj.weight"]
    up = y @ weights[f"{p}/mlp/up_proj.weight"]
    h = h + (gate / (1 + np.exp(-gate)) * up) @ weights[f"{p}/mlp/down_proj.weight"]
logits = rms_norm(h, weights["/model/norm.weight"]) @ weights["lm_head.weight"]
print(json.dumps({"logits": logits.ravel().tolist(), "probs": first_probs.ravel().tolist()}))
