"""A two-node Ray cluster on one machine for the corpus tests (ray.cluster_utils.Cluster): a head and
one worker node, one CPU and 100 MB of object store each. Prints `ADDRESS <gcs address>`, then reads
commands from stdin, answering each with one line:
  kill-worker   SIGKILL one corpus actor process (ray::MapWorker…) → `KILLED <pid>` (or `NONE`)
  replace-node  remove the worker node (not gracefully) and add a fresh one → `REPLACED`
  stop / EOF    shut the cluster down → `STOPPED`
"""
import contextlib
import os
import signal
import sys

import psutil
from ray.cluster_utils import Cluster

NODE = {"num_cpus": 1, "object_store_memory": 100 * 1024 * 1024, "include_dashboard": False}



@contextlib.contextmanager
def raised_priority():
    """Ray gives a node's agents 15 s to start (ray-project/ray#65983), which a loaded machine can
    miss: nodes start at a raised priority, put back to normal once they run."""
    me = psutil.Process()
    try:
        me.nice(-10)
    except psutil.AccessDenied:
        pass
    try:
        yield
    finally:
        for p in [me, *me.children(recursive=True)]:
            try:
                p.nice(0)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass


def start(tries=3):
    """The head and one worker node; a failed try starts over."""
    for attempt in range(tries):
        cluster = Cluster()
        try:
            with raised_priority():
                cluster.add_node(**NODE)
                worker = cluster.add_node(**NODE)
            cluster.wait_for_nodes(timeout=120)
            return cluster, worker
        except Exception:
            cluster.shutdown()
            if attempt == tries - 1:
                raise


cluster, worker = start()
print("ADDRESS", cluster.address, flush=True)


def corpus_actors():
    found = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        try:
            if any("MapWorker" in part for part in p.info["cmdline"] or []):
                found.append(p.info["pid"])
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return found


try:
    for line in sys.stdin:
        command = line.strip()
        if command == "kill-worker":
            pids = corpus_actors()
            if pids:
                os.kill(pids[0], signal.SIGKILL)
            print(f"KILLED {pids[0]}" if pids else "NONE", flush=True)
        elif command == "replace-node":
            cluster.remove_node(worker, allow_graceful=False)
            with raised_priority():
                worker = cluster.add_node(**NODE)
            print("REPLACED", flush=True)
        elif command == "stop":
            break
finally:
    cluster.shutdown()
    print("STOPPED", flush=True)
