"""Benchmark cases of sparse_conv2d for `vfi.benchmarks.kernels` (format: `vfi.kernels.spec.BenchCase`).

1920x1080, 64 -> 64 channels, 3x3, stride 1, padding 1, bias and fallback, at active fractions
0.05, 0.1, 0.2, 0.3, 0.5, fp32 and fp16. Masks are coherent blobs (a coarse random grid of 16x16
cells upsampled), like uncertainty masks, not salt-and-pepper. Baseline: dense cuDNN conv2d + where,
i.e. what the portable ONNX lowering computes. FLOPs count the active outputs only.
"""

from __future__ import annotations

from vfi.kernels.spec import BenchCase

CHANNELS = 64
FRACTIONS = (0.05, 0.1, 0.2, 0.3, 0.5)
DTYPES = ("float32", "float16")
_BYTES = {"float32": 4, "float16": 2}
CELL = 16


def blob_mask(n, h, w, fraction, generator):
    """[n, 1, h, w] bool mask with about `fraction` active, in CELL x CELL blocks."""
    import torch

    coarse = torch.rand(n, 1, -(-h // CELL), -(-w // CELL), generator=generator) < fraction
    return coarse.repeat_interleave(CELL, 2).repeat_interleave(CELL, 3)[:, :, :h, :w].contiguous()


def _make_inputs(n, c, h, w, fraction):
    def make(device, dtype):
        import torch

        gen = torch.Generator(device="cpu").manual_seed(0)
        x = torch.rand(n, c, h, w, generator=gen).to(device=device, dtype=dtype)
        mask = blob_mask(n, h, w, fraction, gen).to(device)
        weight = (torch.randn(c, c, 3, 3, generator=gen) / (9 * c) ** 0.5).to(device=device, dtype=dtype)
        bias = torch.zeros(c).to(device=device, dtype=dtype)
        fallback = torch.rand(n, c, h, w, generator=gen).to(device=device, dtype=dtype)
        return x, mask, weight, bias, fallback

    return make


def _op(x, mask, weight, bias, fallback):
    from vfi.kernels.sparse_conv2d.torch_op import sparse_conv2d_op

    return sparse_conv2d_op(x, mask, weight, bias, fallback, 1, 1, 1)


def _dense(x, mask, weight, bias, fallback):
    import torch
    import torch.nn.functional as F

    return torch.where(mask, F.conv2d(x, weight, bias, 1, 1, 1), fallback)


def cases(
    height: int = 1080, width: int = 1920, batch: int = 1, channels: int = CHANNELS, fractions=FRACTIONS, dtypes=DTYPES
) -> list[BenchCase]:
    """One case per (active fraction, dtype). bytes_moved: x read once, mask read, fallback + out at
    inactive positions and out at active positions (the op's minimum), weights once."""
    from vfi.kernels.sparse_conv2d.flops import sparse_conv2d_flops

    out = []
    pixels = batch * height * width
    for fraction in fractions:
        for dtype in dtypes:
            size = _BYTES[dtype]
            active = int(pixels * fraction)
            moved = (
                pixels * channels + (pixels - active) * 2 * channels + active * channels + channels * channels * 9 + channels
            ) * size + pixels
            out.append(
                BenchCase(
                    op="sparse_conv2d",
                    label=f"{width}x{height} {channels}->{channels} 3x3 active={fraction:.2f} vs dense conv",
                    dtype=dtype,
                    make_inputs=_make_inputs(batch, channels, height, width, fraction),
                    run=_op,
                    baseline=_dense,
                    bytes_moved=moved,
                    flops=sparse_conv2d_flops((channels, channels, 3, 3), active, True),
                )
            )
    return out
