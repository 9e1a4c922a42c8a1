"""Benchmark cases of dsep_conv for `vfi.benchmarks.kernels`: the Triton op vs the gather
composition of `reference.py`, LDMVFI's use (K = 5, RGB frames, C = 3) at 1920x1080, and a
feature-map case (C = 64), fp32 and fp16 (offsets fp32)."""

from __future__ import annotations

from vfi.kernels.spec import BenchCase

K = 5
CHANNELS = (3, 64)
DTYPES = ("float32", "float16")
_BYTES = {"float32": 4, "float16": 2}


def _make_inputs(n: int, c: int, h: int, w: int, k: int = K):
    def make(device, dtype):
        import torch

        gen = torch.Generator(device="cpu").manual_seed(0)
        img = torch.rand(n, c, h, w, generator=gen).to(device=device, dtype=dtype)
        v = torch.softmax(torch.randn(n, k, h, w, generator=gen), 1).to(device=device, dtype=dtype)
        hk = torch.softmax(torch.randn(n, k, h, w, generator=gen), 1).to(device=device, dtype=dtype)
        alpha = (torch.randn(n, k * k, h, w, generator=gen) * 4).to(device=device)
        beta = (torch.randn(n, k * k, h, w, generator=gen) * 4).to(device=device)
        mask = torch.rand(n, k * k, h, w, generator=gen).to(device=device, dtype=dtype)
        return img, v, hk, alpha, beta, mask

    return make


def _op(img, v, h, alpha, beta, mask):
    from vfi.kernels.dsep_conv.torch_op import dsep_conv_op

    return dsep_conv_op(img, v, h, alpha, beta, mask)


def _baseline(img, v, h, alpha, beta, mask):
    from vfi.kernels.dsep_conv.reference import dsep_conv_reference

    return dsep_conv_reference(img, v, h, alpha, beta, mask)


def cases(height: int = 1080, width: int = 1920, batch: int = 1, channels=CHANNELS, dtypes=DTYPES) -> list[BenchCase]:
    """One case per (channels, dtype). bytes_moved: read img, v, h, mask (data dtype) and alpha,
    beta (fp32) once, write out once (the gathers' re-reads of img are the kernel's cost)."""
    from vfi.kernels.dsep_conv.flops import dsep_conv_flops

    out = []
    for c in channels:
        for dtype in dtypes:
            size = _BYTES[dtype]
            pixels = batch * height * width
            moved = pixels * ((2 * c + 2 * K + K * K) * size + 2 * K * K * 4)
            out.append(
                BenchCase(
                    op="dsep_conv",
                    label=f"{width}x{height} C={c} K={K}",
                    dtype=dtype,
                    make_inputs=_make_inputs(batch, c, height, width),
                    run=_op,
                    baseline=_baseline,
                    bytes_moved=moved,
                    flops=dsep_conv_flops((batch, c, height, width), (batch, K, height, width)),
                )
            )
    return out
