"""FLOP count of dsep_conv, registered with `torch.utils.flop_counter` for `FlopCounterMode`.

Counted per output pixel and tap (K*K taps): 2 position adds + 2 fractional parts + 2 complements
= 6 for the bilinear weights, 2 multiplies for the tap weight v * h * mask; per pixel, tap and
channel: the bilinear blend (4 multiplies + 3 adds = 7) and the weighted accumulation (1 multiply
+ 1 add = 2) = 9. Clamps, floors and index arithmetic are not counted (the convention of
`torch.utils.flop_counter`).
"""

from __future__ import annotations

FLOPS_PER_TAP = 8
FLOPS_PER_TAP_CHANNEL = 9


def dsep_conv_flops(img_shape, v_shape, *args, **kwargs) -> int:
    """FLOPs of dsep_conv on img [N,C,H,W] with v [N,K,H,W]."""
    n, c, h, w = (int(d) for d in img_shape)
    k = int(v_shape[1])
    return n * h * w * k * k * (FLOPS_PER_TAP + FLOPS_PER_TAP_CHANNEL * c)


_registered = False


def register() -> None:
    """Register `dsep_conv_flops` for `torch.ops.vfi.dsep_conv` (idempotent)."""
    global _registered
    if _registered:
        return
    import torch
    from torch.utils.flop_counter import register_flop_formula

    register_flop_formula(torch.ops.vfi.dsep_conv)(dsep_conv_flops)
    _registered = True
