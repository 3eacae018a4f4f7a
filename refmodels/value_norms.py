"""Norm-based attention's reference (Kobayashi et al. 2020), ‖f(x_j)‖ = ‖v_j W_O^h‖, from a model's own
modules: the value projection's output, caught by a forward hook, and the output projection's weight."""

from __future__ import annotations

import torch


def module_outputs(model, modules, kwargs) -> list:
    """Each module's output in one forward pass of model(**kwargs), without gradients."""
    outputs: list = [None] * len(modules)
    hooks = [m.register_forward_hook(lambda _m, _i, out, k=k: outputs.__setitem__(k, out))
             for k, m in enumerate(modules)]
    with torch.no_grad():
        model(**kwargs)
    for h in hooks:
        h.remove()
    return outputs


def head_norms(values: torch.Tensor, weight: torch.Tensor, head_dim: int, repeat: int = 1) -> list:
    """[batch][head][source] norms: values [B, S, kv·d] from the value projection (each key/value head
    repeated `repeat` times, as grouped-query attention's repeat_kv does), weight [D, H·d] of the output
    projection, whose columns for head h multiply that head's d value components."""
    b, s, _ = values.shape
    v = values.view(b, s, -1, head_dim).transpose(1, 2).repeat_interleave(repeat, dim=1)  # [B, H, S, d]
    w = weight.detach()
    w_h = w.view(w.shape[0], v.shape[1], head_dim).permute(1, 2, 0)  # [H, d, D]
    return torch.linalg.vector_norm(v @ w_h, dim=-1).tolist()
