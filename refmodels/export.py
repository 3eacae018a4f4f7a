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
