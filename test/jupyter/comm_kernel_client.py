"""Act as a widget front end against the attnlens kernel, over jupyter_client, and report what happened.

usage: comm_kernel_client.py --kernel attnlens --cwd DIR [--rounds N]
The kernel is found through JUPYTER_DATA_DIR. Prints one JSON object (the test asserts on it):
each step's observations, never a verdict of its own. With --rounds N it also times N round trips
(selection update -> the kernel's echo_update) and text runs (custom run -> the new payload's
update) and reports them in "round_trip_ms" and "text_round_trip_ms".
"""
import argparse
import json
import signal
import subprocess
import sys
import time

from jupyter_client.manager import start_new_kernel

DEMO_TEXT = "The animal didn't cross the street because it was too tired."
NEW_TEXT = "The dog wouldn't cross the street since it was too slow."


class Front:
    def __init__(self, kc):
        self.kc = kc
        self.seen = []  # every iopub message not yet consumed, in order

    def send_shell(self, msg_type, content, buffers=None):
        msg = self.kc.session.msg(msg_type, content)
        self.kc.session.send(self.kc.shell_channel.socket, msg, buffers=buffers or [])
        return msg["header"]["msg_id"]

    def comm_msg(self, comm_id, data, buffers=None):
        return self.send_shell("comm_msg", {"comm_id": comm_id, "data": data}, buffers)

    def next_iopub(self, timeout=60):
        msg = self.kc.get_iopub_msg(timeout=timeout)
        return msg

    def until(self, pred, limit=200, timeout=60):
        """Reads iopub until pred(msg) holds; returns (msg, how many read) or (None, n)."""
        for n in range(1, limit + 1):
            try:
                msg = self.next_iopub(timeout)
            except Exception:
                return None, n
            if pred(msg):
                return msg, n
            self.seen.append(msg)
        return None, limit

    def execute(self, code, timeout=180):
        """Runs a cell; returns its outputs (iopub messages of its parent) and the reply status."""
        msg_id = self.kc.execute(code)
        outputs = []
        while True:
            msg = self.next_iopub(timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                self.seen.append(msg)
                continue
            t = msg["msg_type"]
            if t == "status" and msg["content"]["execution_state"] == "idle":
                break
            outputs.append(msg)
        while True:
            reply = self.kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                return outputs, reply["content"].get("status")


def comm_msgs(msgs, comm_id):
    return [m for m in msgs if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id]


def text_of(outputs):
    out = []
    for m in outputs:
        c = m["content"]
        if m["msg_type"] == "stream":
            out.append(c["text"])
        elif m["msg_type"] in ("execute_result", "display_data"):
            out.append(c["data"].get("text/plain", ""))
        elif m["msg_type"] == "error":
            out.append(c["ename"] + ": " + c["evalue"])
    return "".join(out)


def is_error_update(comm_id):
    def pred(m):
        if m["msg_type"] != "comm_msg" or m["content"]["comm_id"] != comm_id:
            return False
        d = m["content"]["data"]
        return d.get("method") == "update" and bool(d.get("state", {}).get("error"))

    return pred


def plain_kernel(front):
    """On a kernel without comms: widget() shows the static bundle with a note; update() replaces it by display id."""
    outs, status = front.execute(
        'import * as attnlens from "attnlens";\n'
        'const model = await attnlens.loadModel("tiny-agreement-bert");\n'
        f"const result = await model.run({json.dumps(DEMO_TEXT)});\n"
        f"const result2 = await model.run({json.dumps(NEW_TEXT)});\n"
        "const view = await attnlens.widget(result, { model: model });\n"
        "view.live\n"
    )
    shown = [m for m in outs if m["msg_type"] in ("display_data", "update_display_data")]
    outs2, status2 = front.execute("await view.update(result2);")
    updated = [m for m in outs2 if m["msg_type"] in ("display_data", "update_display_data")]
    return {
        "status": [status, status2],
        "text": text_of([m for m in outs if m["msg_type"] in ("stream", "execute_result", "error")]),
        "shown": [(m["msg_type"], sorted(m["content"]["data"].keys()), m["content"]["transient"].get("display_id")) for m in shown],
        "updated": [
            (m["msg_type"], m["content"]["transient"].get("display_id"), m["content"]["data"]["application/vnd.attnlens.v1+json"]["tokens"]["source"]["text"][0])
            for m in updated
        ],
    }


def main() -> int:
    # A timeout's SIGTERM still runs the finally blocks that shut the kernel down.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default="attnlens")
    ap.add_argument("--cwd", default=".")
    ap.add_argument("--rounds", type=int, default=0)
    ap.add_argument("--plain", action="store_true", help="a kernel without comms: check the snapshot fallback")
    a = ap.parse_args()
    report = {}
    # The kernel's own stdout stays out of ours (the report); its log (stderr) goes to our stderr.
    km, kc = start_new_kernel(
        kernel_name=a.kernel, cwd=a.cwd, startup_timeout=120, stdout=subprocess.DEVNULL, stderr=sys.stderr
    )
    front = Front(kc)
    if a.plain:
        try:
            report = plain_kernel(front)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        json.dump(report, sys.stdout)
        return 0
    try:
        # The version comm a widget front end opens when it connects.
        front.send_shell("comm_open", {"comm_id": "v1", "target_name": "jupyter.widget.version", "data": {}})
        m, _ = front.until(lambda m: m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == "v1", limit=20)
        report["version"] = m["content"]["data"] if m else None

        outs, status = front.execute(
            'import * as attnlens from "attnlens";\n'
            'const model = await attnlens.loadModel("tiny-agreement-bert");\n'
            f"const result = await model.run({json.dumps(DEMO_TEXT)});\n"
            "let counter = 41;\n"
        )
        report["setup"] = {"status": status, "text": text_of(outs)}

        outs, status = front.execute(
            f"const view = await attnlens.widget(result, {{ model: model, text: {json.dumps(DEMO_TEXT)} }});\n"
        )
        opens = [m for m in outs + front.seen if m["msg_type"] == "comm_open"]
        displays = [m for m in outs if m["msg_type"] == "display_data"]
        order = [m["msg_type"] for m in outs if m["msg_type"] in ("comm_open", "display_data")]
        report["widget"] = {
            "status": status,
            "stderr": text_of([m for m in outs if m["msg_type"] == "stream"]),
            "order": order,
            "opens": [
                {
                    "target": m["content"]["target_name"],
                    "comm_id": m["content"]["comm_id"],
                    "version": m["metadata"].get("version"),
                    "state_keys": sorted(m["content"]["data"]["state"].keys()),
                    "model_name": m["content"]["data"]["state"].get("_model_name"),
                    "payload_sites": [s["id"] for s in (m["content"]["data"]["state"].get("payload") or {}).get("sites", [])],
                    "can_run": m["content"]["data"]["state"].get("can_run"),
                }
                for m in opens
            ],
            "display_mimes": [sorted(m["content"]["data"].keys()) for m in displays],
            "view_model_ids": [m["content"]["data"].get("application/vnd.jupyter.widget-view+json", {}).get("model_id") for m in displays],
        }
        if not opens:
            raise RuntimeError("no comm_open after attnlens.widget()")
        comm_id = opens[0]["content"]["comm_id"]
        first_payload = opens[0]["content"]["data"]["state"]["payload"] if opens else None

        # comm_info_request lists the comm.
        front.send_shell("comm_info_request", {"target_name": "jupyter.widget"})
        reply = kc.get_shell_msg(timeout=30)
        report["comm_info"] = {"msg_type": reply["msg_type"], "content": reply["content"]}

        # A click: the front end sends the selection as a state update.
        selection = {"site": "encoder.self.2", "layer": 2, "head": 1, "token": 5, "sample": 0}
        click_id = front.comm_msg(comm_id, {"method": "update", "state": {"selection": selection}, "buffer_paths": []})
        m, n = front.until(
            lambda m: m["msg_type"] == "comm_msg" and m["content"]["data"].get("method") == "echo_update", limit=20
        )
        report["echo"] = m["content"]["data"] if m else None
        # A widget front end sends its next update only once the kernel is idle for this one.
        m, _ = front.until(
            lambda m: m["msg_type"] == "status"
            and m["parent_header"].get("msg_id") == click_id
            and m["content"]["execution_state"] == "idle",
            limit=20,
        )
        report["idle_after_update"] = m is not None
        outs, status = front.execute("JSON.stringify(view.selection)")
        report["selection_seen"] = text_of(outs)

        # request_state: the full state comes back.
        front.comm_msg(comm_id, {"method": "request_state"})
        m, _ = front.until(lambda m: m["msg_type"] == "comm_msg" and m["content"]["data"].get("method") == "update", limit=20)
        report["request_state_keys"] = sorted(m["content"]["data"]["state"].keys()) if m else None

        # The text box: a custom message; the kernel runs the model and pushes a new payload.
        front.comm_msg(comm_id, {"method": "custom", "content": {"event": "run", "text": NEW_TEXT}})
        got, n = front.until(
            lambda m: m["msg_type"] == "comm_msg"
            and m["content"]["data"].get("method") == "update"
            and "payload" in m["content"]["data"].get("state", {}),
            limit=50,
            timeout=120,
        )
        new_payload = got["content"]["data"]["state"]["payload"] if got else None
        report["run_text"] = {
            "messages_read": n,
            "first_tokens": first_payload.get("tokens") if first_payload else None,
            "new_tokens": new_payload.get("tokens") if new_payload else None,
        }

        # Hostile messages: each must be answered with an error in the view's state.
        hostile = {
            "unknown_method": ({"method": "explode"}, None),
            "no_method": ({"state": {"selection": 1}}, None),
            "wrong_types": ({"method": "update", "state": {"selection": {"site": 3, "layer": "x", "head": -1}}}, None),
            "not_writable": ({"method": "update", "state": {"payload": {"sites": []}}}, None),
            "oversized": ({"method": "update", "state": {"selection": "x" * 400_000}}, None),
            "malformed_buffers": (
                {"method": "update", "state": {"selection": None}, "buffer_paths": [["selection"], ["nowhere", 3]]},
                [b"\x00\x01"],
            ),
            "bad_custom": ({"method": "custom", "content": {"event": "run", "text": 12}}, None),
            "proto_path": ({"method": "update", "state": {}, "buffer_paths": [["__proto__", "x"]]}, [b"\x00"]),
        }
        report["hostile"] = {}
        for name, (data, buffers) in hostile.items():
            front.comm_msg(comm_id, data, buffers)
            m, n = front.until(is_error_update(comm_id), limit=20, timeout=30)
            report["hostile"][name] = m["content"]["data"]["state"]["error"] if m else None
        # Messages to comms and targets that do not exist.
        front.comm_msg("no-such-comm", {"method": "update", "state": {}})
        front.send_shell("comm_open", {"comm_id": "x1", "target_name": "no.such.target", "data": {}})
        m, _ = front.until(lambda m: m["msg_type"] == "comm_close" and m["content"]["comm_id"] == "x1", limit=20)
        report["unknown_target_closed"] = m is not None
        outs, status = front.execute("counter + 1")
        report["alive"] = {"status": status, "text": text_of(outs)}

        if a.rounds:
            times = []
            for i in range(a.rounds):
                sel = {"site": "encoder.self.1", "layer": 1, "head": i % 4, "token": None, "sample": 0}
                t0 = time.perf_counter()
                front.comm_msg(comm_id, {"method": "update", "state": {"selection": sel}, "buffer_paths": []})
                m, _ = front.until(
                    lambda m: m["msg_type"] == "comm_msg" and m["content"]["data"].get("method") == "echo_update",
                    limit=20,
                )
                times.append((time.perf_counter() - t0) * 1000)
            report["round_trip_ms"] = times
            text_times = []
            is_payload = (
                lambda m: m["msg_type"] == "comm_msg"
                and m["content"]["data"].get("method") == "update"
                and "payload" in m["content"]["data"].get("state", {})
            )
            for i in range(max(3, a.rounds // 4)):
                t0 = time.perf_counter()
                front.comm_msg(comm_id, {"method": "custom", "content": {"event": "run", "text": [DEMO_TEXT, NEW_TEXT][i % 2]}})
                m, _ = front.until(is_payload, limit=50, timeout=120)
                text_times.append((time.perf_counter() - t0) * 1000)
            report["text_round_trip_ms"] = text_times
    except Exception as e:  # report what was seen so far; the test names the step that failed
        report["exception"] = f"{type(e).__name__}: {e}"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    json.dump(report, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
