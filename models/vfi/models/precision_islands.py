"""Reduced precision with fp32 coordinate islands, for torch graphs (eager, ONNX, AOTInductor).

A model runs a reduced precision (fp16, bf16) in its convolutions only: each `nn.Conv2d` /
`nn.ConvTranspose2d` holds its weights in the reduced type, casts its input to it and its output
back to fp32. Everything else stays fp32: the flows, their resizes and rescaling, the sampling
positions and interpolation weights of every warp, the deformable and sparse convolutions'
coordinates, the blending. Convolutions are where the time goes, and coordinates are where
precision goes: bf16 has 8 mantissa bits, so a sampling position near x = 1280 held in bf16 is
off by up to 4 pixels. The same rule is applied to OpenVINO graphs by `vfi.core.openvino`, so every
backend's reduced precision means the same thing.

    model = vfi.models.load("rife-4.0")
    low_precision_convs(model, torch.bfloat16)     # in place; returns the number of convolutions
"""

from __future__ import annotations

import torch
from torch import nn

#: module types whose arithmetic runs in the reduced precision
LOW_PRECISION_MODULES = (nn.Conv2d, nn.ConvTranspose2d)


def _cast_input(module, args):
    dtype = module.weight.dtype
    return tuple(a.to(dtype) if torch.is_tensor(a) and a.is_floating_point() else a for a in args)


def _cast_output(module, args, output):
    return output.float() if torch.is_tensor(output) else output


def low_precision_convs(model: nn.Module, dtype: torch.dtype) -> int:
    """Run every convolution of `model` in `dtype` with fp32 in and out (in place; see the module
    docstring); returns how many convolutions were converted. fp32 changes nothing."""
    if dtype == torch.float32:
        return 0
    count = 0
    model.float()
    for module in model.modules():
        if isinstance(module, LOW_PRECISION_MODULES):
            module.to(dtype)
            module.register_forward_pre_hook(_cast_input)
            module.register_forward_hook(_cast_output)
            count += 1
    model.vfi_low_precision = dtype  # read by `is_low_precision` (and by whoever inspects the model)
    return count


def _fp32_output(module, args, output):
    if torch.is_tensor(output) and output.is_floating_point() and output.dtype != torch.float32:
        return output.float()
    return output


def autocast_islands(model: nn.Module) -> int:
    """Keep coordinates fp32 under `torch.autocast` (mixed-precision training): every convolution
    of `model` hands its output back as fp32 (in place, once; returns how many convolutions).

    Autocast runs a convolution in the reduced type and leaves its output there, so without this
    a flow head's output (and the sampling positions computed from it) would be fp16/bf16.
    With it the convolutions still run reduced (autocast casts their inputs again) and everything
    between them stays fp32, as `low_precision_convs` does for inference.
    """
    if getattr(model, "vfi_autocast_islands", False):
        return 0
    count = 0
    for module in model.modules():
        if isinstance(module, LOW_PRECISION_MODULES):
            module.register_forward_hook(_fp32_output)
            count += 1
    model.vfi_autocast_islands = True
    return count


def is_low_precision(model: nn.Module) -> bool:
    """Whether `low_precision_convs` was applied to `model`."""
    return getattr(model, "vfi_low_precision", torch.float32) != torch.float32
