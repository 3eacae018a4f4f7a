"""The corpus job: plan shards, analyse each (Ray Data actors, or one process), merge, write.

Each finished shard is written to OUT/ray-shards/<k>.json as it arrives, keyed by its shard id (its
per-input lines first, to <k>.inputs.jsonl, see inputs.py): a retried shard overwrites its own files,
and a rerun of the same job (same bundle, data, shard size and inputs mode) skips the shards already
there. Progress goes to stdout as `ATTNLENS {json}` lines.
"""
import hashlib
import json
import os
import sys
import time

from . import inputs as inputs_file
from .bundle import METRICS, read_files
from .merge import merge_shards, write_outputs
from .readers import SHARD_BYTES, plan


def emit(event, **fields):
    sys.stdout.write("ATTNLENS " + json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def _job_key(files, data, shard_bytes, field, pair_field, truncate):
    h = hashlib.sha256(files["model"])
    h.update(json.dumps(files["bundle"], sort_keys=True).encode())
    stat = os.stat(data)
    h.update(json.dumps([os.path.abspath(data), stat.st_size, stat.st_mtime_ns, shard_bytes, field, pair_field,
                         truncate]).encode())
    return h.hexdigest()


def _done_shards(folder, key):
    """Shard results of an earlier run of the same job, {shard: result}."""
    marker = os.path.join(folder, "job.json")
    if not os.path.exists(marker) or json.load(open(marker)).get("key") != key:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        with open(marker, "w") as f:
            json.dump({"key": key}, f)
        return {}
    done = {}
    for name in os.listdir(folder):
        if name.endswith(".json") and name != "job.json":
            with open(os.path.join(folder, name)) as f:
                r = json.load(f)
            done[r["shard"]] = r
    return done


def _store(folder, result):
    lines = result.pop("inputLines", None)
    if lines is not None:  # before <k>.json: a shard counts as done only with its lines stored
        inputs_file.store_shard(folder, result["shard"], lines)
    path = os.path.join(folder, f"{result['shard']}.json")
    with open(path + ".tmp", "w") as f:
        json.dump(result, f)
    os.replace(path + ".tmp", path)  # a retried shard replaces its own file


class ShardWorker:
    """A Ray Data actor: one onnxruntime session and tokenizer for all the shards it is given."""

    def __init__(self, files_ref, options):
        import ray

        from .compute import Analyzer

        files = ray.get(files_ref[0])
        self.options = options
        self.analyzer = Analyzer(files, truncate=options["truncate"], threads=options["threads"],
                                 max_tokens=options["maxTokens"])

    def __call__(self, rows):
        from .shard import analyze_shard

        o = self.options
        out = {"shard": [], "result": []}
        for k, shard_json in zip(rows["shard"], rows["spec"]):
            shard = json.loads(shard_json)
            fail = o.get("fail")  # tests: die once on this shard (os._exit), after writing the marker
            if fail and shard["shard"] == fail["shard"] and not os.path.exists(fail["marker"]):
                open(fail["marker"], "w").close()
                time.sleep(fail.get("delay", 0))
                os._exit(1)
            result = analyze_shard(self.analyzer, shard, o["field"], o["pairField"], o["batch"], o["inputMetrics"])
            out["shard"].append(int(k))
            out["result"].append(json.dumps(result))
        return out


def run(bundle_dir, data, out, address=None, workers=2, batch=32, field="text", pair_field=None, truncate=False,
        shard_bytes=SHARD_BYTES, local=False, fail=None, ray_init=None, max_tokens=None, restart=False,
        inputs="typical"):
    input_metrics = inputs_file.metrics_of(inputs, METRICS)
    files = read_files(bundle_dir)
    os.makedirs(out, exist_ok=True)
    shards, file_problems = plan(data, shard_bytes)
    folder = os.path.join(out, "ray-shards")
    os.makedirs(folder, exist_ok=True)
    key = _job_key(files, data, shard_bytes, field, pair_field, [truncate, max_tokens, inputs])
    done = _done_shards(folder, "restart" if restart else key)
    if restart:
        _done_shards(folder, key)  # the marker of this run, for the next one
    todo = [s for s in shards if s["shard"] not in done]
    emit("start", shards=len(shards), resumed=len(done), engine="local" if local else "ray", workers=workers)
    options = {"field": field, "pairField": pair_field, "truncate": truncate, "batch": batch, "threads": 1,
               "fail": fail, "maxTokens": max_tokens, "inputMetrics": input_metrics}
    started = time.time()
    results = dict(done)

    def arrived(result):
        results[result["shard"]] = result
        _store(folder, result)
        emit("progress", shards=len(shards), done=len(results), inputs=sum(r["inputs"] for r in results.values()),
             seconds=time.time() - started)

    if local:
        from .compute import Analyzer
        from .shard import analyze_shard

        analyzer = Analyzer(files, truncate=truncate, threads=workers, max_tokens=max_tokens)
        emit("ready", seconds=time.time() - started)
        for s in todo:
            arrived(analyze_shard(analyzer, s, field, pair_field, batch, input_metrics))
    elif todo:
        _run_ray(files, todo, options, workers, address, arrived, ray_init, started)
    missing = [s["shard"] for s in shards if s["shard"] not in results]
    if missing:
        raise RuntimeError(f"shards {missing[:10]} produced no result")
    merged = merge_shards(results, file_problems)
    # inputs.jsonl before summary.json: the views never pair a new summary with an older run's inputs.
    if input_metrics:
        inputs_file.write(out, folder, results)
    else:
        inputs_file.remove(out)
    summary = write_outputs(out, files["bundle"], data, merged, len(shards))
    emit("done", inputs=summary["inputs"], skipped=summary["skipped"], seconds=time.time() - started)
    return summary


def _run_ray(files, todo, options, workers, address, arrived, ray_init, started):
    import ray

    here = os.path.dirname(os.path.abspath(__file__))
    if not ray.is_initialized():
        ray.init(address=address, runtime_env={"py_modules": [here]}, log_to_driver=False,
                 **(ray_init or {}))
    emit("ready", seconds=time.time() - started)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    files_ref = [ray.put(files)]
    items = [{"shard": s["shard"], "spec": json.dumps(s)} for s in todo]
    ds = ray.data.from_items(items, override_num_blocks=len(items))
    analysed = ds.map_batches(
        ShardWorker,
        batch_size=1,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=1,
        fn_constructor_kwargs={"files_ref": files_ref, "options": options},
        max_restarts=-1,
        max_task_retries=-1,
    )
    for row in analysed.iter_rows():
        arrived(json.loads(row["result"]))
