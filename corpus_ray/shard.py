"""One shard, start to end: read it, tokenize, run the graph in batches, and aggregate its
per-input values. A pure function of the shard's rows, so a retried shard gives the same result and
replaces (never adds to) the first try's."""
import numpy as np

from . import aggregate
from .bundle import METRICS
from .inputs import input_line
from .readers import MAX_PROBLEMS, read_shard


# Reasons worded as the local engine words them (kernel-lib/src/corpus/read).
REASONS = {"empty": "empty line", "undecodable": "bytes that are not UTF-8", "badJson": "not JSON",
           "missingField": "no text field"}


def analyze_shard(analyzer, shard, field="text", pair_field=None, batch=32, input_metrics=()):
    """The shard's result; with `input_metrics`, also `inputLines`: its measured inputs' DIR/inputs.jsonl
    lines (inputs.py), numbered within the shard (the driver adds the lines of the shards before it)."""
    skipped, problems, values, measured = {}, [], [], []
    lines = inputs = truncated = batches = 0
    pending = []

    def skip(line, kind, reason=None):
        skipped[kind] = skipped.get(kind, 0) + 1
        if len(problems) < MAX_PROBLEMS:
            problems.append({"line": line, "reason": reason or REASONS.get(kind, kind)})

    def flush():
        nonlocal batches
        if pending:
            values.append(analyzer.values(pending))
            batches += 1
            pending.clear()

    for line, text, pair, problem in read_shard(shard, field, pair_field):
        lines += 1
        if problem:
            skip(line, problem)
            continue
        if not text.strip():
            skip(line, "empty")
            continue
        encoded = analyzer.encode(text, pair)
        if isinstance(encoded, int):
            skip(line, "tooLong", f"{encoded} tokens, over the limit of {analyzer.max}")
            continue
        if not encoded[0]:
            skip(line, "empty")
            continue
        inputs += 1
        truncated += encoded[3]
        measured.append((line - 1, encoded[4]))
        pending.append(encoded)
        if len(pending) == batch:
            flush()
    flush()
    heads = analyzer.heads
    table = np.concatenate(values) if values else np.empty((0, len(heads), max(heads), len(METRICS)))
    sites = [[{m: aggregate.of_values(table[:, k, h, j]) for j, m in enumerate(METRICS)} for h in range(H)]
             for k, H in enumerate(heads)]
    result = {"shard": shard["shard"], "lines": lines, "inputs": inputs, "skippedBy": skipped,
              "truncated": truncated, "problems": problems, "batches": batches, "sites": sites}
    if input_metrics:
        columns = [METRICS.index(m) for m in input_metrics]
        ids = [s["id"] for s in analyzer.sites]
        result["inputLines"] = [input_line(index, text, table[r], ids, heads, input_metrics, columns)
                                for r, (index, text) in enumerate(measured)]
    return result
