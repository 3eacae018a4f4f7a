"""Builds one case: the model from its config (seeded), optimum's export, and the reference maps that
transformers computes itself (eager attention, output_attentions=True) on the same inputs."""
from __future__ import annotations

import hashlib
import json
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .case import Case, Run

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["torch", "transformers", "optimum", "optimum-onnx", "onnx", "onnxruntime", "onnxscript", "tokenizers"]


def case_stamp(case: Case) -> str:
    """Changes when the pins, any harness source or the case's name changes: then the case is rebuilt."""
    h = hashlib.sha256()
    for f in ["requirements.txt", "requirements-nodeps.txt"]:
        h.update((ROOT / f).read_bytes())
    for f in sorted((ROOT / "refmodels").rglob("*.py")):
        h.update(f.relative_to(ROOT).as_posix().encode())
        h.update(f.read_bytes())
    h.update(case.name.encode())
    return h.hexdigest()


def is_current(case: Case, out_root: Path) -> bool:
    stamp = out_root / case.name / ".stamp"
    return stamp.exists() and stamp.read_text() == case_stamp(case)


def build_case(case: Case, out_root: Path) -> Path:
    """Writes out_root/<case>/ (onnx/, reference.json, ref_*.npy, feed_*.npy); atomic via a .tmp folder."""
    final = out_root / case.name
    tmp = out_root / f"{case.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    torch.manual_seed(0)
    np.random.seed(0)
    model = case.build()
    src = tmp / "src"
    model.save_pretrained(src)
    onnx_dir = tmp / "onnx"
    case.export(str(src), str(onnx_dir))
    runs = case.runs(model, str(onnx_dir))
    shutil.rmtree(src)  # random weights, rebuilt from the seed; the ONNX files are what the tests read
    reference = {
        "case": case.name,
        "family": case.family,
        "variant": case.variant,
        "tolerance": case.tolerance,
        "expect_error": case.expect_error,
        "notes": case.notes,
        "expected_sites": case.expected_sites,
        "files": sorted(p.relative_to(onnx_dir).as_posix() for p in onnx_dir.rglob("*.onnx")),
        "versions": {p: metadata.version(p) for p in PACKAGES},
        "runs": [record_run(model, run, tmp) for run in runs],
    }
    (tmp / "reference.json").write_text(json.dumps(reference, indent=1))
    (tmp / ".stamp").write_text(case_stamp(case))
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return final


def torch_attentions(model: Any, kwargs: dict[str, Any]) -> dict[str, tuple]:
    """transformers' attention tuples by stack: encoder, decoder (self) and cross."""
    with torch.no_grad():
        out = model(**kwargs, output_attentions=True)
    if getattr(out, "encoder_attentions", None) is not None or getattr(out, "cross_attentions", None):
        stacks = {"encoder": out.encoder_attentions, "decoder": out.decoder_attentions, "cross": out.cross_attentions}
    elif getattr(model.config, "is_decoder", False) or is_causal_lm(model):
        stacks = {"decoder": out.attentions}
    else:
        stacks = {"encoder": out.attentions}
    return {k: v for k, v in stacks.items() if v}


def is_causal_lm(model: Any) -> bool:
    return type(model).__name__.endswith(("ForCausalLM", "LMHeadModel"))


SITE_ID = {"encoder": "encoder.self", "decoder": "decoder.self", "cross": "decoder.cross"}


def record_run(model: Any, run: Run, out: Path) -> dict[str, Any]:
    attentions = run.extra.pop("_attentions", None) or torch_attentions(model, run.torch_kwargs)
    sites: dict[str, list[dict[str, Any]]] = {}
    for file, stacks in run.sites.items():
        entries = []
        # attnlens' order: encoder by layer, then decoder by layer with self before cross.
        layers = [(s, i) for s in stacks if s == "encoder" for i in range(len(attentions[s]))]
        dec = [s for s in stacks if s != "encoder"]
        n_dec = max((len(attentions[s]) for s in dec), default=0)
        layers += [(s, i) for i in range(n_dec) for s in ("decoder", "cross") if s in dec]
        for stack, layer in layers:
            a = attentions[stack][layer].detach().to(torch.float32).numpy()
            name = f"ref_{run.name}_{stack}_{layer}.npy"
            np.save(out / name, np.ascontiguousarray(a))
            entries.append({"id": f"{SITE_ID[stack]}.{layer}", "file": name, "shape": list(a.shape)})
        sites[file] = entries
    return {
        "name": run.name,
        "feeds": {file: {k: feed_json(run.name, file, k, v, out) for k, v in feeds.items()} for file, feeds in run.feeds.items()},
        "sites": sites,
        "query_mask": {k: np.asarray(v).astype(int).tolist() for k, v in run.query_mask.items()},
        "extra": run.extra,
    }


def feed_json(run: str, file: str, name: str, value: Any, out: Path) -> dict[str, Any]:
    """Integer and boolean feeds inline (attnlens' JsonFeed form); float feeds as .npy beside the reference."""
    a = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
    if a.dtype == np.bool_:
        return {"type": "bool", "dims": list(a.shape), "data": a.ravel().tolist()}
    if np.issubdtype(a.dtype, np.integer):
        return {"type": "int64" if a.dtype == np.int64 else "int32", "dims": list(a.shape), "data": a.ravel().tolist()}
    safe = file.replace("/", "_").removesuffix(".onnx")
    npy = f"feed_{run}_{safe}_{name.replace('.', '_')}.npy"
    np.save(out / npy, np.ascontiguousarray(a.astype(np.float32)))
    return {"type": "float32", "dims": list(a.shape), "npy": npy}
