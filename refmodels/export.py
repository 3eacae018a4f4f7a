"""Export steps a case combines: optimum's exporter, decoder merging, dynamic quantization, fusion."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from optimum.exporters.onnx import main_export


def optimum(task: str, **kwargs) -> Callable[[str, str], None]:
    """`optimum-cli export onnx --task TASK` (validation off: the harness compares attentions itself)."""

    def run(src: str, out: str) -> None:
        main_export(src, output=out, task=task, do_validation=False, **kwargs)

    return run


def optimum_from_model(task: str, attn_implementation: str, **kwargs) -> Callable[[str, str], None]:
    """optimum's exporter on the saved model loaded with a chosen attention implementation.

    `main_export` reloads the folder with transformers' default implementation (SDPA where the family has
    one), whatever the case built; this pins it, and checks transformers honoured the request.
    """

    def run(src: str, out: str) -> None:
        from optimum.exporters.onnx import onnx_export_from_model
        from optimum.exporters.tasks import TasksManager

        model = TasksManager.get_model_from_task(task, src, attn_implementation=attn_implementation)
        got = model.config._attn_implementation
        if got != attn_implementation:
            raise SystemExit(f"refmodels: asked for {attn_implementation} attention, transformers loaded {got}")
        onnx_export_from_model(model, out, task=task, do_validation=False, **kwargs)

    return run
