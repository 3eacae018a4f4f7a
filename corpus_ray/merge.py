"""The driver's side: per-shard results merged in shard order (so the numbers do not depend on which
worker finished first), then summary.json and state.json in the corpus contract's shape."""
import json
import os

from . import aggregate
from .bundle import METRICS
from .readers import MAX_PROBLEMS

NOT_COMPUTED = {
    "patterns": "pattern labels come from the TypeScript classifier, which the Python workers do not run",
    "mixtures": "pattern mixtures come from the TypeScript classifier, which the Python workers do not run",
    "probes": "probe rules are TypeScript predicates over the attention result; the workers do not run them",
}


def merge_shards(results, file_problems=()):
    """One merged record from {shard: result}: counts added, aggregates merged by Chan, problems on file lines."""
    merged = {"lines": 0, "inputs": 0, "skippedBy": {}, "truncated": 0, "problems": list(file_problems),
              "batches": 0, "sites": None}
    for key in sorted(results):
        r = results[key]
        for p in r["problems"]:
            if len(merged["problems"]) < MAX_PROBLEMS:
                merged["problems"].append({"line": p["line"] + merged["lines"], "reason": p["reason"]})
        for name in ("lines", "inputs", "truncated", "batches"):
            merged[name] += r[name]
        for reason, n in r["skippedBy"].items():
            merged["skippedBy"][reason] = merged["skippedBy"].get(reason, 0) + n
        if merged["sites"] is None:
            merged["sites"] = r["sites"]
        else:
            merged["sites"] = [[{m: aggregate.merge(a[m], b[m]) for m in METRICS} for a, b in zip(sa, sb)]
                               for sa, sb in zip(merged["sites"], r["sites"])]
    if file_problems:
        merged["skippedBy"]["unreadableFile"] = len(file_problems)
    return merged


def write_outputs(out, bundle, data, merged, shards):
    labels = bundle["sites"]
    sites = merged["sites"] or [[{m: aggregate.empty() for m in METRICS} for _ in range(s["heads"])] for s in labels]
    summary = {
        "version": 1, "engine": "ray", "model": bundle["model"], "data": data,
        "inputs": merged["inputs"], "skipped": sum(merged["skippedBy"].values()), "skippedBy": merged["skippedBy"],
        "truncated": merged["truncated"], "problems": merged["problems"],
        "notComputed": NOT_COMPUTED,
        "sites": [
            {"id": s["id"], "stack": s["stack"], "kind": s["kind"], "layer": s["layer"],
             "heads": [{"head": h, **{m: aggregate.summarize(a[m]) for m in METRICS}, "patterns": {}}
                       for h, a in enumerate(heads)]}
            for s, heads in zip(labels, sites)
        ],
    }
    # The local engine's state.json layout (kernel-lib/src/corpus/aggregate): raw aggregates by metric name.
    state = {
        "version": 1, "engine": "ray", "model": bundle["model"], "data": data,
        "consumed": merged["lines"], "batches": merged["batches"], "complete": True,
        "inputs": merged["inputs"], "skipped": summary["skipped"], "skippedBy": merged["skippedBy"],
        "truncated": merged["truncated"], "problems": merged["problems"],
        "sites": [{"id": s["id"], "stack": s["stack"], "kind": s["kind"], "layer": s["layer"],
                   "heads": [{"head": h, **a, "patterns": {}} for h, a in enumerate(heads)]}
                  for s, heads in zip(labels, sites)],
        "ray": {"shards": shards},
    }
    for name, value in (("summary.json", summary), ("state.json", state)):
        tmp = os.path.join(out, name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(value, f)
        os.replace(tmp, os.path.join(out, name))
    return summary
