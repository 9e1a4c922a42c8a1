"""FLOP count of forward_splat, registered with `torch.utils.flop_counter` for `FlopCounterMode`.

Counted per source pixel: 2 target adds + 2 fractional parts + 2 complements + 4 corner weights
= 10; "linear"/"soft" add 4 multiplies by the metric ("soft" also 1 exp); every normalised mode
adds 4 weight accumulations. Per source pixel and channel: 4 multiplies + 4 accumulations = 8.
Per output element of a normalised mode: 1 division. Floors, masks and index arithmetic are not
counted (the convention of `torch.utils.flop_counter`).
"""

from __future__ import annotations

FLOPS_PER_PIXEL = 10
FLOPS_PER_PIXEL_CHANNEL = 8
FLOPS_METRIC = {"sum": 0, "avg": 0, "linear": 4, "soft": 5}
FLOPS_NORMALISE_PER_PIXEL = 4  # weight accumulations
FLOPS_NORMALISE_PER_ELEMENT = 1  # the division


def forward_splat_flops(img_shape, flow_shape=None, metric_shape=None, mode: str = "sum", *args, **kwargs) -> int:
    """FLOPs of forward_splat on img of shape [N,C,H,W] in `mode`."""
    n, c, h, w = (int(d) for d in img_shape)
    per_pixel = FLOPS_PER_PIXEL + FLOPS_PER_PIXEL_CHANNEL * c + FLOPS_METRIC[mode]
    if mode != "sum":
        per_pixel += FLOPS_NORMALISE_PER_PIXEL + FLOPS_NORMALISE_PER_ELEMENT * c
    return n * h * w * per_pixel


_registered = False


def register() -> None:
    """Register `forward_splat_flops` for `torch.ops.vfi.forward_splat` (idempotent)."""
    global _registered
    if _registered:
        return
    import torch
    from torch.utils.flop_counter import register_flop_formula

    register_flop_formula(torch.ops.vfi.forward_splat)(forward_splat_flops)
    _registered = True
