"""python -m corpus_ray --bundle DIR --data FILE --out DIR [--address ADDR] [--workers N] [--batch N]
[--field F] [--pair-field F] [--truncate] [--max-tokens N] [--restart] [--shard-bytes N] [--local]
[--inputs typical|all|none]"""
import argparse
import json
import sys

from .bundle import BundleError
from .job import emit, run


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m corpus_ray")
    p.add_argument("--bundle", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--address", default=None)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--field", default="text")
    p.add_argument("--pair-field", default=None)
    p.add_argument("--truncate", action="store_true")
    p.add_argument("--max-tokens", type=int, default=None)
    p.add_argument("--restart", action="store_true", help="ignore shards done by an earlier run")
    p.add_argument("--shard-bytes", type=int, default=4 << 20)
    p.add_argument("--inputs", choices=("typical", "all", "none"), default="typical",
                   help="DIR/inputs.jsonl: the typical metrics per input, all of them, or no file")
    p.add_argument("--local", action="store_true", help="one process, no Ray (same shards and merge)")
    p.add_argument("--fail", default=None, help=argparse.SUPPRESS)  # tests: JSON {"shard", "marker"}
    a = p.parse_args(argv)
    try:
        run(a.bundle, a.data, a.out, address=a.address, workers=a.workers, batch=a.batch, field=a.field,
            pair_field=a.pair_field, truncate=a.truncate, shard_bytes=a.shard_bytes, local=a.local,
            fail=json.loads(a.fail) if a.fail else None, max_tokens=a.max_tokens, restart=a.restart, inputs=a.inputs)
    except (BundleError, ValueError, OSError) as e:
        emit("error", message=str(e))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
