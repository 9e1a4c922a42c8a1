"""Benchmark cases of forward_splat for `vfi.benchmarks.kernels`: the Triton op (atomic splat +
normalise) vs the `scatter_add` composition, softmax splatting ("soft", the DBVFI / SoftSplat use)
at 1920x1080 with 3 (RGB frames) and 64 (feature maps) channels, fp32 and fp16."""

from __future__ import annotations

from vfi.kernels.spec import BenchCase

CHANNELS = (3, 64)
DTYPES = ("float32", "float16")
MODE = "soft"
_BYTES = {"float32": 4, "float16": 2}


def _make_inputs(n: int, c: int, h: int, w: int):
    def make(device, dtype):
        import torch

        gen = torch.Generator(device="cpu").manual_seed(0)
        img = torch.rand(n, c, h, w, generator=gen).to(device=device, dtype=dtype)
        flow = (torch.randn(n, 2, h, w, generator=gen) * 8).to(device=device, dtype=dtype)
        metric = torch.randn(n, 1, h, w, generator=gen).to(device=device, dtype=dtype)
        return img, flow, metric

    return make


def _op(img, flow, metric):
    from vfi.kernels.forward_splat.torch_op import forward_splat_op

    return forward_splat_op(img, flow, metric, MODE)


def _baseline(img, flow, metric):
    from vfi.kernels.forward_splat.reference import forward_splat_reference

    return forward_splat_reference(img, flow, metric, MODE)


def cases(height: int = 1080, width: int = 1920, batch: int = 1, channels=CHANNELS, dtypes=DTYPES) -> list[BenchCase]:
    """One case per (channels, dtype). bytes_moved: read img + flow + metric once, write out once
    (the fp32 accumulator's traffic and the atomics are the kernel's cost, not the minimum)."""
    from vfi.kernels.forward_splat.flops import forward_splat_flops

    out = []
    for c in channels:
        for dtype in dtypes:
            size = _BYTES[dtype]
            moved = batch * height * width * (2 * c + 3) * size
            out.append(
                BenchCase(
                    op="forward_splat",
                    label=f"{width}x{height} C={c} {MODE}",
                    dtype=dtype,
                    make_inputs=_make_inputs(batch, c, height, width),
                    run=_op,
                    baseline=_baseline,
                    bytes_moved=moved,
                    flops=forward_splat_flops((batch, c, height, width), mode=MODE),
                )
            )
    return out
