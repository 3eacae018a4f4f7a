"""Execute a notebook headlessly with nbclient on a named kernel; write the executed copy.

usage: run_notebook.py IN.ipynb OUT.ipynb [--kernel tslab] [--timeout 120] [--cwd DIR]
Prints one JSON line: {"ok": bool, "seconds": float, "error": str | null, "valid": true | str}
("valid": the executed notebook passes nbformat's schema validation, else the problem).
The kernel is found through JUPYTER_DATA_DIR (set by the test to its private data directory).
"""
import argparse
import json
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--cwd", default=".")
    a = ap.parse_args()
    nb = nbformat.read(a.src, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=a.kernel,
        timeout=a.timeout,
        allow_errors=False,
        resources={"metadata": {"path": a.cwd}},
    )
    t0 = time.time()
    error = None
    try:
        client.execute()
    except CellExecutionError as e:
        error = str(e)[:4000]
    except Exception as e:  # a dead kernel, a timeout: report, don't hide
        error = f"{type(e).__name__}: {e}"[:4000]
    seconds = round(time.time() - t0, 2)
    try:
        nbformat.validate(nb)
        valid = True
    except nbformat.ValidationError as e:
        valid = str(e)[:2000]
    nbformat.write(nb, a.dst)
    print(json.dumps({"ok": error is None, "seconds": seconds, "error": error, "valid": valid}))
    return 0 if error is None else 1


if __name__ == "__main__":
    sys.exit(main())
