"""attnlens corpus analysis on Ray: the Python side of `attnlens corpus ... --engine ray`.

The TypeScript side writes a job bundle (analysis graph, tokenizer, bundle.json); this package reads
the corpus in shards, runs the graph with onnxruntime in Ray Data actors, and merges per-shard
aggregates exactly on the driver (docs/corpus-ray.md).
"""
