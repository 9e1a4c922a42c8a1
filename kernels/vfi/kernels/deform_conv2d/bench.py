"""Benchmark cases of deform_conv2d for `vfi.benchmarks.kernels` (format: `vfi.kernels.spec.BenchCase`).

1920x1080, 64 -> 64 channels, 3x3, stride 1, padding 1, offset groups 1 and 8, with modulation mask
and bias, fp32 and fp16. Baseline: `torchvision.ops.deform_conv2d` when torchvision is importable
(label says "vs torchvision"); otherwise the PyTorch reference composition (gather + einsum; label
says "vs composition"), which is what a model without our op would run.
"""

from __future__ import annotations

from vfi.kernels.spec import BenchCase

CHANNELS = 64
OFFSET_GROUPS = (1, 8)
DTYPES = ("float32", "float16")
_BYTES = {"float32": 4, "float16": 2}
KH = KW = 3


def _make_inputs(n, c, h, w, og):
    def make(device, dtype):
        import torch

        gen = torch.Generator(device="cpu").manual_seed(0)
        x = torch.rand(n, c, h, w, generator=gen).to(device=device, dtype=dtype)
        offset = (torch.randn(n, 2 * og * KH * KW, h, w, generator=gen) * 4).to(device=device, dtype=dtype)
        mask = torch.rand(n, og * KH * KW, h, w, generator=gen).to(device=device, dtype=dtype)
        weight = (torch.randn(c, c, KH, KW, generator=gen) / (c * KH * KW) ** 0.5).to(device=device, dtype=dtype)
        bias = torch.zeros(c).to(device=device, dtype=dtype)
        return x, offset, mask, weight, bias, og

    return make


def _op(x, offset, mask, weight, bias, og):
    from vfi.kernels.deform_conv2d.torch_op import deform_conv2d_op

    return deform_conv2d_op(x, offset, mask, weight, bias, 1, 1, 1, 1, og)


def _torchvision(x, offset, mask, weight, bias, og):
    import torchvision.ops

    return torchvision.ops.deform_conv2d(x, offset, weight, bias, stride=1, padding=1, dilation=1, mask=mask)


def _composition(x, offset, mask, weight, bias, og):
    from vfi.kernels.deform_conv2d.reference import deform_conv2d_reference

    return deform_conv2d_reference(x, offset, mask, weight, bias, 1, 1, 1, 1, og)


def _have_torchvision() -> bool:
    import importlib.util

    return importlib.util.find_spec("torchvision") is not None


def cases(
    height: int = 1080, width: int = 1920, batch: int = 1, channels: int = CHANNELS, offset_groups=OFFSET_GROUPS, dtypes=DTYPES
) -> list[BenchCase]:
    """One case per (offset groups, dtype). bytes_moved: x, offset, mask, weight read once, out written once."""
    from vfi.kernels.deform_conv2d.flops import deform_conv2d_flops

    tv = _have_torchvision()
    out = []
    for og in offset_groups:
        for dtype in dtypes:
            pixels = batch * height * width
            moved = (pixels * (2 * channels + 3 * og * KH * KW) + channels * channels * KH * KW) * _BYTES[dtype]
            flops = deform_conv2d_flops(
                (batch, channels, height, width),
                (batch, 2 * og * KH * KW, height, width),
                (1,),
                (channels, channels, KH, KW),
                (channels,),
                1,
                1,
                1,
                1,
                og,
            )
            out.append(
                BenchCase(
                    op="deform_conv2d",
                    label=f"{width}x{height} {channels}->{channels} 3x3 og={og} vs "
                    + ("torchvision" if tv else "composition (torchvision not installed)"),
                    dtype=dtype,
                    make_inputs=_make_inputs(batch, channels, height, width, og),
                    run=_op,
                    baseline=_torchvision if tv else _composition,
                    bytes_moved=moved,
                    flops=flops,
                )
            )
    return out
