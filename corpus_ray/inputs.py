"""DIR/inputs.jsonl, the per-input values the corpus views rank inputs by, in the local engine's format
(kernel-lib/src/corpus/engine/inputsWriter.ts, docs/corpus.md): one line per measured input, in DATA
order, `{"input": 0-based record number, "text": cut to 1,000 characters, "values": {site: {metric:
[per head]}}}`, values rounded to 7 significant digits, null where undefined.

Each shard's lines travel in its result and are stored by the driver as
DIR/ray-shards/<shard>.inputs.jsonl, numbered within the shard (a retried shard replaces its file);
at the end the driver joins them in shard order, adding the lines of the shards before each, into
inputs.jsonl.tmp and renames it over inputs.jsonl.
"""
import json
import math
import os

FILE = "inputs.jsonl"
TEXT_CHARS = 1000  # UTF-16 code units, as JavaScript counts them (inputsWriter.ts INPUT_TEXT_CHARS)
TYPICAL = ("entropy", "distance", "confidence", "sink")  # inputsWriter.ts TYPICAL_INPUT_METRICS


def metrics_of(mode, all_metrics):
    """The metrics written per input: "typical", "all" (every corpus metric) or "none"."""
    if mode == "all":
        return tuple(all_metrics)
    if mode == "typical":
        return TYPICAL
    if mode == "none":
        return ()
    raise ValueError(f'--inputs must be typical, all or none, not "{mode}"')


def cut_text(text):
    """`text` cut to TEXT_CHARS UTF-16 code units, never inside a surrogate pair (inputsWriter.ts cutText)."""
    units = text.encode("utf-16-le", "surrogatepass")
    if len(units) <= 2 * TEXT_CHARS:
        return text
    end = TEXT_CHARS
    if 0xD800 <= int.from_bytes(units[2 * end - 2: 2 * end], "little") <= 0xDBFF:
        end -= 1
    return units[: 2 * end].decode("utf-16-le", "surrogatepass")


def _round(x):
    """7 significant digits (float32 maps hold no more); None for NaN (undefined)."""
    x = float(x)
    return float(f"{x:.7g}") if math.isfinite(x) else None


def input_line(index, text, table, site_ids, heads, metrics, columns):
    """One input's line; `table` is its [sites, heads_max, metrics] values (NaN = undefined)."""
    values = {sid: {m: [_round(table[k, h, c]) for h in range(H)] for m, c in zip(metrics, columns)}
              for k, (sid, H) in enumerate(zip(site_ids, heads))}
    return {"input": index, "text": cut_text(text), "values": values}


def _dumps(line):
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"


def shard_file(folder, shard):
    return os.path.join(folder, f"{shard}.inputs.jsonl")


def store_shard(folder, shard, lines):
    """The shard's lines to its own file, replaced whole (tmp + rename), before its result marks it done."""
    path = shard_file(folder, shard)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.writelines(_dumps(line) for line in lines)
    os.replace(path + ".tmp", path)


def remove(out):
    """An earlier run's inputs.jsonl (the link itself, never its target): its inputs are not this run's."""
    try:
        os.remove(os.path.join(out, FILE))
    except FileNotFoundError:
        pass


def write(out, folder, results):
    """DIR/inputs.jsonl from the shards' files in shard (= DATA) order, renumbered in DATA, atomically."""
    target = os.path.join(out, FILE)
    tmp = target + ".tmp"
    # O_NOFOLLOW: a link planted at the temporary name is refused, never written through.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
    offset = 0
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        for key in sorted(results):
            if not os.path.exists(shard_file(folder, key)):
                raise OSError(f"{shard_file(folder, key)} is missing (shard {key}'s input lines): "
                              "rerun with --restart to start over")
            with open(shard_file(folder, key), encoding="utf-8") as part:
                for raw in part:
                    line = json.loads(raw)
                    line["input"] += offset
                    f.write(_dumps(line))
            offset += results[key]["lines"]
    os.replace(tmp, target)
