"""python -m refmodels {build,list} — see README.md."""
from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the Hub is unreachable here; nothing may try it
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m refmodels")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="export every case (or --only) and record transformers' attentions")
    b.add_argument("--out", default=".cache/refmodels")
    b.add_argument("--only", default="", help="comma-separated case names")
    b.add_argument("--force", action="store_true", help="rebuild even when the stamp is current")
    sub.add_parser("list", help="print the case names")
    args = ap.parse_args()

    import warnings

    warnings.filterwarnings("ignore")
    from .cases import all_cases
    from .harness import build_case, is_current

    cases = all_cases()
    if args.cmd == "list":
        for c in cases:
            print(f"{c.name}\t{c.family}\t{c.variant}")
        return 0
    only = {n for n in args.only.split(",") if n}
    unknown = only - {c.name for c in cases}
    if unknown:
        print(f"refmodels: no case named {sorted(unknown)}; `python -m refmodels list` shows them", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failed = []
    for c in cases:
        if only and c.name not in only:
            continue
        if not args.force and is_current(c, out):
            continue
        t = time.time()
        try:
            build_case(c, out)
            print(f"refmodels: {c.name} built in {time.time() - t:.1f} s", file=sys.stderr)
        except Exception:
            traceback.print_exc()
            failed.append(c.name)
    if failed:
        print(f"refmodels: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
