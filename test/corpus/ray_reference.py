"""Independent reference for the Ray corpus engine: one input at a time (no batching, no padding),
the per-input per-head metrics computed with numpy from the attention maps alone by the documented
formulas (kernel-lib/src/analysis/metrics/types.ts RowMetrics, tokenRoles.ts), then aggregated with
numpy. Writes {inputs, skippedBy, values: {site: {head: {metric: [per-input values]}}}} as JSON.

usage: ray_reference.py MODEL.onnx TOKENIZER.json MAX_POSITIONS encoder|decoder DATA.txt OUT.json
"""
import json
import re
import sys
import unicodedata

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

model, tokenizer_file, max_positions, family, data, out = sys.argv[1:]
max_positions = int(max_positions)
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
tok = Tokenizer.from_file(tokenizer_file)
specials = {t["content"] for t in json.load(open(tokenizer_file))["added_tokens"] if t.get("special")}
names = [o.name for o in session.get_outputs() if "ingraph" not in o.name]
feeds_wanted = {i.name for i in session.get_inputs()}
CLS = {"[CLS]", "<s>", "<cls>"}
SEP = {"[SEP]", "</s>", "<sep>", "<eos>", "<|endoftext|>"}
METRICS = ["entropy", "normalizedEntropy", "distance", "confidence", "self", "previous", "next", "first",
           "cls", "sep", "sink", "punctuation"]


def punctuation(text):
    bare = re.sub(r"^(##|Ġ|▁)", "", text)
    return len(bare) > 0 and all(unicodedata.category(c).startswith("P") for c in bare)


def per_input(a, tokens, special, causal):
    """{metric: [per-head value]} from one input's [H, T, T] map, by the formulas, over each head's rows."""
    H, T, _ = a.shape
    a = a.astype(np.float64)
    seen = np.tri(T, dtype=bool) if causal else np.ones((T, T), dtype=bool)  # seen[i, j]: row i sees source j
    n = seen.sum(axis=1)
    p = np.where(seen, a, 0.0)
    i = np.arange(T)[:, None]
    j = np.arange(T)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=2)
        rows = {
            "entropy": entropy,
            "normalizedEntropy": np.where(n > 1, entropy / np.log(n), np.nan),
            "distance": (p * np.abs(j - i)).sum(axis=2),
            "confidence": p.max(axis=2),
            "self": p[:, i[:, 0], i[:, 0]],
            "previous": np.where(i[:, 0] >= 1, p[:, i[:, 0], np.maximum(i[:, 0] - 1, 0)], np.nan),
            "next": np.where(i[:, 0] + 1 < n, p[:, i[:, 0], np.minimum(i[:, 0] + 1, T - 1)], np.nan),
            "first": p[:, :, 0],
        }
    first_is_start = causal and (special[0] or tokens[0] in CLS or tokens[0] in SEP)

    def role(k):
        if k == 0 and first_is_start:
            return "sink"
        if tokens[k] in CLS:
            return "cls"
        if tokens[k] in SEP:
            return "sep"
        return "punctuation" if not special[k] and punctuation(tokens[k]) else "word"

    roles = [role(k) for k in range(T)]
    for r in ("cls", "sep", "sink", "punctuation"):
        rows[r] = p[:, :, [k for k in range(T) if roles[k] == r]].sum(axis=2)
    return {m: [float(np.nanmean(rows[m][h])) if not np.isnan(rows[m][h]).all() else float("nan") for h in range(H)]
            for m in METRICS}


values, skipped, inputs = {}, {}, 0
with open(data, "rb") as f:
    lines = f.read().split(b"\n")
if lines and lines[-1] == b"":
    lines.pop()
for raw in lines:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        skipped["undecodable"] = skipped.get("undecodable", 0) + 1
        continue
    if not text.strip():
        skipped["empty"] = skipped.get("empty", 0) + 1
        continue
    enc = tok.encode(text)
    if len(enc.ids) > max_positions:
        skipped["tooLong"] = skipped.get("tooLong", 0) + 1
        continue
    inputs += 1
    ids = np.array([enc.ids], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    fetched = session.run(names, {k: v for k, v in feeds.items() if k in feeds_wanted})
    maps = [x for x, name in zip(fetched, names) if x.ndim == 4 and x.shape[-1] == x.shape[-2] == ids.shape[1]]
    tokens = enc.tokens
    special = [bool(s) or t in specials for s, t in zip(enc.special_tokens_mask, tokens)]
    for k, m in enumerate(maps):
        v = per_input(m[0], tokens, special, family == "decoder")
        for metric, per_head in v.items():
            for h, x in enumerate(per_head):
                cell = values.setdefault(str(k), {}).setdefault(str(h), {}).setdefault(metric, [])
                cell.append(None if np.isnan(x) else x)
json.dump({"inputs": inputs, "skippedBy": skipped, "values": values}, open(out, "w"))
