"""torch.onnx.export with the settings every demo model uses."""

import torch

OPSET = 14


def batch_and_length_axes(length_axis_by_name):
    """{name: length axis name} -> torch.onnx dynamic_axes with a dynamic batch (axis 0) and length (axis 1)."""
    return {name: {0: "batch_size", 1: length_axis} for name, length_axis in length_axis_by_name.items()}


def export_onnx(module, args, path, input_names, output_names, dynamic_axes):
    """Export in eval mode, then load the file back and run the ONNX checker on it."""
    import onnx

    module.eval()
    with torch.no_grad():
        torch.onnx.export(
            module,
            args,
            path,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
            do_constant_folding=True,
        )
    model = onnx.load(path)
    onnx.checker.check_model(model)
    return model
