"""FLOP count of deform_conv2d, registered with `torch.utils.flop_counter` for `FlopCounterMode`.

Convention (FLOP = 2 per multiply-add, as `torch.utils.flop_counter` counts convolutions):
  * GEMM: 2 * N * Cout * Ho * Wo * (Cin / groups) * KH * KW;
  * bilinear sampling: per sampled value (N * Cin * KH * KW * Ho * Wo of them) 4 multiply-adds for
    the four-corner blend = 8 FLOPs, plus 1 multiply by the modulation mask when a mask is given;
  * per sample position (N * offset_groups * KH * KW * Ho * Wo): 2 coordinate adds, 2 fractional
    parts, 2 complements, 4 corner weights = 10 FLOPs (shared by the channels of an offset group);
  * bias: N * Cout * Ho * Wo adds when given.
Floors, bounds checks and index arithmetic are not counted.
"""

from __future__ import annotations

FLOPS_PER_SAMPLE = 8
FLOPS_PER_POSITION = 10


def deform_conv2d_flops(
    x_shape,
    offset_shape,
    mask_shape,
    weight_shape,
    bias_shape,
    stride,
    padding,
    dilation,
    groups,
    offset_groups,
    *args,
    out_shape=None,
    **kwargs,
) -> int:
    """FLOPs of one deform_conv2d call, from shapes (the output shape gives Ho, Wo)."""
    n, cin = int(x_shape[0]), int(x_shape[1])
    cout, cin_g, kh, kw = (int(d) for d in weight_shape)
    ho, wo = int(offset_shape[2]), int(offset_shape[3])
    taps = kh * kw
    gemm = 2 * n * cout * ho * wo * cin_g * taps
    per_sample = FLOPS_PER_SAMPLE + (1 if mask_shape is not None else 0)
    sampling = n * cin * taps * ho * wo * per_sample + n * int(offset_groups) * taps * ho * wo * FLOPS_PER_POSITION
    bias = n * cout * ho * wo if bias_shape is not None else 0
    return gemm + sampling + bias


_registered = False


def register() -> None:
    """Register `deform_conv2d_flops` for `torch.ops.vfi.deform_conv2d` (idempotent)."""
    global _registered
    if _registered:
        return
    import torch
    from torch.utils.flop_counter import register_flop_formula

    register_flop_formula(torch.ops.vfi.deform_conv2d)(deform_conv2d_flops)
    _registered = True
