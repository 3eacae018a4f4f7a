"""Reads the job bundle attnlens writes (kernel-lib/src/corpus/ray/bundle.ts)."""
import json
import os

FORMAT = "attnlens.corpus-ray-bundle"
VERSION = 1

# The metrics aggregated per head (the corpus contract), and where each comes from.
GRAPH_METRICS = ("entropy", "normalizedEntropy", "distance", "confidence", "self", "previous", "next", "first")
ROLE_METRICS = ("cls", "sep", "sink", "punctuation")
METRICS = GRAPH_METRICS + ROLE_METRICS

# Role codes (kernel-lib/src/corpus/ray/roles.ts).
WORD, CLS, SEP, PUNCT = 0, 1, 2, 3
STARTABLE = 4


class BundleError(Exception):
    """A bundle that cannot be used: stops the job before the first batch."""


def read_files(directory):
    """{"bundle": dict, "model": bytes, "tokenizer": str}: what the driver ships to every worker."""
    try:
        with open(os.path.join(directory, "bundle.json"), encoding="utf-8") as f:
            bundle = json.load(f)
        with open(os.path.join(directory, "model.onnx"), "rb") as f:
            model = f.read()
        with open(os.path.join(directory, "tokenizer.json"), encoding="utf-8") as f:
            tokenizer = f.read()
    except (OSError, ValueError) as e:
        raise BundleError(f"cannot read the job bundle in {directory}: {e}") from e
    if bundle.get("format") != FORMAT or bundle.get("version") != VERSION:
        raise BundleError(f"{directory}/bundle.json is not a version-{VERSION} {FORMAT}: rewrite it with this attnlens")
    return {"bundle": bundle, "model": model, "tokenizer": tokenizer}
