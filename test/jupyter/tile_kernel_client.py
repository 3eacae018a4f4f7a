"""Ask the attnlens kernel for tiles of a long input's live widget, as a widget front end would.

usage: tile_kernel_client.py --cwd DIR
The kernel is found through JUPYTER_DATA_DIR. In the kernel, a 2,048-token synthetic map (seeded
randomAttention from attnlens/testing) is wrapped as a RowSource and shown with attnlens.widget;
this script then sends `{event: "tile", ...}` custom messages on the widget's comm and prints one
JSON object: the widget's payload summary and, per request, the kernel's answer with its buffer as
base64 (the test compares the bytes with the same map computed in Node). No verdicts here.
"""
import argparse
import base64
import json
import signal
import subprocess
import sys

from jupyter_client.manager import start_new_kernel

sys.path.insert(0, __import__("os").path.dirname(__file__))
from comm_kernel_client import Front, text_of  # noqa: E402

CELL = """
import * as attnlens from "attnlens";
import * as testing from "attnlens/testing";
const T = 2048, H = 2;
const data = testing.randomAttention({ dims: [1, H, T, T], seed: 11 });
const full: attnlens.AttentionResult = { sites: [{ id: "encoder.self.0", stack: "encoder", kind: "self", layer: 0, heads: H, causal: false,
  node: "synthetic", data, dims: [1, H, T, T] }], provider: "cpu", fallbacks: [], masks: {}, outputs: {} };
const long = { ...full, ...attnlens.rowSourceOf(full) };
const view = await attnlens.widget(long);
"""

REQUESTS = {
    "exact": {"event": "tile", "id": "t1", "site": "encoder.self.0", "batch": 0, "head": 1, "rows": [1000, 1064], "cols": [1500, 1580]},
    "pooled": {"event": "tile", "id": "t5", "site": "encoder.self.0", "batch": 0, "head": 0, "rows": [0, 2048], "cols": [100, 2048], "bin": 8},
    "out_of_bounds": {"event": "tile", "id": "t2", "site": "encoder.self.0", "batch": 0, "head": 0, "rows": [2000, 2100], "cols": [0, 10]},
    "too_large": {"event": "tile", "id": "t3", "site": "encoder.self.0", "batch": 0, "head": 0, "rows": [0, 2048], "cols": [0, 2048]},
    "no_site": {"event": "tile", "id": "t4", "site": "decoder.self.9", "batch": 0, "head": 0, "rows": [0, 1], "cols": [0, 1]},
    "no_id": {"event": "tile", "site": "encoder.self.0", "batch": 0, "head": 0, "rows": [0, 1], "cols": [0, 1]},
}


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    ap = argparse.ArgumentParser()
    ap.add_argument("--cwd", default=".")
    a = ap.parse_args()
    report = {}
    km, kc = start_new_kernel(
        kernel_name="attnlens", cwd=a.cwd, startup_timeout=120, stdout=subprocess.DEVNULL, stderr=sys.stderr
    )
    front = Front(kc)
    try:
        outs, status = front.execute(CELL)
        opens = [m for m in outs + front.seen if m["msg_type"] == "comm_open"]
        report["widget"] = {"status": status, "text": text_of(outs), "opens": len(opens)}
        if not opens:
            raise RuntimeError("no comm_open after attnlens.widget()")
        comm_id = opens[0]["content"]["comm_id"]
        payload = opens[0]["content"]["data"]["state"]["payload"]
        site = payload["sites"][0]
        report["payload"] = {"maps_bin": site["maps"]["bin"], "maps_dims": site["maps"]["dims"], "tiles": "tiles" in payload}
        answers = {}
        for name, content in REQUESTS.items():
            front.comm_msg(comm_id, {"method": "custom", "content": content})
            m, _ = front.until(
                lambda m: m["msg_type"] == "comm_msg"
                and m["content"]["comm_id"] == comm_id
                and m["content"]["data"].get("method") == "custom",
                limit=50,
            )
            if m is None:
                answers[name] = None
                continue
            answers[name] = {
                "content": m["content"]["data"]["content"],
                "buffers": [base64.b64encode(bytes(b)).decode() for b in m.get("buffers", [])],
            }
        report["answers"] = answers
        outs, status = front.execute("console.log(view.live, view.selection === null)")
        report["alive"] = {"status": status, "text": text_of(outs)}
    except Exception as e:  # reported, and the test fails on it
        report["exception"] = repr(e)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    json.dump(report, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
