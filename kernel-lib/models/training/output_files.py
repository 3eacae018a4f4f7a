"""Writing the files of a model directory."""

import json

# where config.json and the model cards say the models come from
SCRIPT_PATH = "kernel-lib/models/train_demo_models.py"


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def write_compact_json(path, obj):
    """One line per top-level key's item: small enough to diff, no pretty-printed float walls."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")


def write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
