"""Checks and helpers every model's forward shares: is a tracer running, are the frames usable."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from vfi.core.errors import InputError

RGB_CHANNELS = 3


def is_tracing() -> bool:
    """True while exporting, tracing or compiling: tensor values are unknown and must not be read,
    and Python checks on shapes would add guards on dynamic dimensions."""
    return bool(
        torch.onnx.is_in_onnx_export() or torch.compiler.is_compiling() or torch.compiler.is_exporting() or torch.jit.is_tracing()
    )


def check_frame_pair(family: str, img0: torch.Tensor, img1: torch.Tensor, pad_multiple: int) -> None:
    """Raise `InputError` unless `img0` and `img1` are equal-shaped RGB [N,3,H,W] batches whose
    height and width are multiples of `pad_multiple` (pixels)."""
    if img0.dim() != 4 or img0.shape[1] != RGB_CHANNELS:
        raise InputError(f"{family} expects RGB frames [N,3,H,W], got {tuple(img0.shape)}")
    if img0.shape != img1.shape:
        raise InputError(f"frames differ in shape: {tuple(img0.shape)} vs {tuple(img1.shape)}")
    h, w = img0.shape[-2:]
    if h % pad_multiple or w % pad_multiple:
        raise InputError(
            f"frame size {w}x{h} is not a multiple of {pad_multiple}; pad frames "
            f"(replicate) to a multiple of the model's pad_multiple and crop the output"
        )


def resize(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Bilinear resize by `factor` (align_corners=False, the factor used as the sampling ratio):
    exactly the RIFE and IFRNet reference code's call, so that pretrained weights reproduce it."""
    return F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False, recompute_scale_factor=False)
