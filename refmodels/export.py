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


def torch_single_file(input_names: list[str], dynamic_axes: dict[str, dict[int, str]], make_inputs,
                      keep: tuple[str, ...] = ("config.json", "generation_config.json")) -> Callable[[str, str], None]:
    """The whole model as one model.onnx by torch.onnx.export (the TorchScript exporter; no optimum), the way a
    user who exports by hand gets an encoder–decoder in one file; `make_inputs(model)` gives the example inputs
    in `input_names` order. The config files in `keep` are copied beside it."""

    def run(src: str, out: str) -> None:
        import shutil

        import torch
        from transformers import AutoModelForSpeechSeq2Seq, AutoModelForSeq2SeqLM, AutoConfig

        config = AutoConfig.from_pretrained(src)
        auto = AutoModelForSpeechSeq2Seq if config.model_type == "whisper" else AutoModelForSeq2SeqLM
        model = auto.from_pretrained(src, attn_implementation="eager").eval()
        Path(out).mkdir(parents=True, exist_ok=True)

        class Logits(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, *args):
                return self.m(**dict(zip(input_names, args)), use_cache=False).logits

        import transformers.masking_utils as masking
        from optimum.exporters.onnx.model_patcher import eager_mask_without_vmap, find_packed_sequence_indices_patched

        # transformers builds masks with torch.vmap and torch.diff, which TorchScript cannot trace: optimum's
        # replacements for the export only (what its own exporter patches in).
        packed = masking.find_packed_sequence_indices
        masking.ALL_MASK_ATTENTION_FUNCTIONS.register("eager", eager_mask_without_vmap)
        masking.find_packed_sequence_indices = find_packed_sequence_indices_patched
        try:
            torch.onnx.export(Logits(model), tuple(make_inputs(model)), str(Path(out) / "model.onnx"),
                              input_names=input_names, output_names=["logits"], dynamic_axes=dynamic_axes,
                              opset_version=17, dynamo=False)
        finally:
            masking.ALL_MASK_ATTENTION_FUNCTIONS.register("eager", masking.eager_mask)
            masking.find_packed_sequence_indices = packed
        for f in keep:
            if (Path(src) / f).exists():
                shutil.copy(Path(src) / f, Path(out) / f)

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


def torch_dynamo(opset: int, attn_implementation: str, inputs: list[str]) -> Callable[[str, str], None]:
    """`torch.onnx.export(..., dynamo=True)`, torch's default exporter, on the saved model loaded with a chosen
    attention implementation; `inputs` are the forward's keyword inputs, batch and sequence dynamic. From
    opset 23 it writes SDPA as the standard ONNX `Attention` op (no Softmax in the graph)."""

    def run(src: str, out: str) -> None:
        import torch
        from transformers import AutoModel

        model = AutoModel.from_pretrained(src, attn_implementation=attn_implementation).eval()
        if model.config._attn_implementation != attn_implementation:
            raise SystemExit(f"refmodels: asked for {attn_implementation} attention, got {model.config._attn_implementation}")
        ids = torch.randint(3, 100, (2, 7))
        mask = torch.ones_like(ids)
        mask[1, 5:] = 0  # a padded row, so the trace keeps the mask
        dummy = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
        Path(out).mkdir(parents=True, exist_ok=True)
        torch.onnx.export(model, (), f"{out}/model.onnx", kwargs={n: dummy[n] for n in inputs}, input_names=inputs,
                          output_names=["last_hidden_state"], dynamic_shapes={n: {0: "batch", 1: "sequence"} for n in inputs},
                          dynamo=True, opset_version=opset, external_data=False)

    return run
