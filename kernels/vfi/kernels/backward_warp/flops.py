"""FLOP count of backward_warp, registered with `torch.utils.flop_counter` for `FlopCounterMode`.

Counted per output pixel: 2 coordinate adds + 2 fractional parts + 2 complements + 4 corner
weights = 10, plus per channel 4 multiplies + 3 adds = 7 (the four-tap blend). Clamps, floors
and index arithmetic are not counted (the convention of `torch.utils.flop_counter`).
"""

from __future__ import annotations

FLOPS_PER_PIXEL = 10
FLOPS_PER_PIXEL_CHANNEL = 7


def backward_warp_flops(img_shape, flow_shape=None, *args, **kwargs) -> int:
    """FLOPs of backward_warp on img of shape [N,C,H,W]."""
    n, c, h, w = (int(d) for d in img_shape)
    return n * h * w * (FLOPS_PER_PIXEL + FLOPS_PER_PIXEL_CHANNEL * c)


_registered = False


def register() -> None:
    """Register `backward_warp_flops` for `torch.ops.vfi.backward_warp` (idempotent)."""
    global _registered
    if _registered:
        return
    import torch
    from torch.utils.flop_counter import register_flop_formula

    register_flop_formula(torch.ops.vfi.backward_warp)(backward_warp_flops)
    _registered = True
