"""What a case is: a model built offline, how optimum exports it, and the runs to record."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Run:
    """One set of inputs, fed to torch and to one or more ONNX files.

    `torch_kwargs` go to the PyTorch model's forward; `feeds[file]` are the ONNX inputs of each exported file
    (numpy arrays, named as the graph names them). `sites[file]` says which of transformers' attention tuples
    each file holds, e.g. {"model.onnx": ["encoder"]}, {"decoder_model.onnx": ["decoder", "cross"]}.
    """

    name: str
    torch_kwargs: dict[str, Any]
    feeds: dict[str, dict[str, Any]]
    sites: dict[str, list[str]]
    # Queries to ignore when comparing (e.g. padded positions), per stack: {"decoder": [[b, t], ...]} is
    # expressed instead as a mask [batch, target] of 1 = compare, 0 = skip.
    query_mask: dict[str, Any] = field(default_factory=dict)
    # Free-form facts the TypeScript tests read (tokens, texts, image size, ...).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Case:
    """A family × variant: `build()` returns (torch model in eval mode, eager attention; a folder to save
    it to is handled by the harness); `export(src, out)` writes the ONNX files; `runs(model, out)` the
    inputs to record."""

    name: str
    family: str
    variant: str
    build: Callable[[], Any]
    export: Callable[[str, str], None]
    runs: Callable[[Any, str], list[Run]]
    # Site ids attnlens should find, per ONNX file ("encoder.self.0", ...).
    expected_sites: dict[str, list[str]] = field(default_factory=dict)
    # Tolerance on max |Δ| against transformers' maps.
    tolerance: float = 1e-4
    # Set when attnlens is expected to refuse this export: "CODE: message substring" (an AttnlensError code)
    # or a bare substring of the error it must give.
    expect_error: str | None = None
    notes: str = ""
