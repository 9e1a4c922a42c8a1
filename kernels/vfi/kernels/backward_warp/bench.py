"""Benchmark cases of backward_warp for `vfi.benchmarks.kernels`: the fused op vs grid construction +
`grid_sample`, at 1920x1080 with 3 (RGB frames) and 64 (feature maps) channels, fp32 and fp16."""

from __future__ import annotations

from vfi.kernels.spec import BenchCase

CHANNELS = (3, 64)
DTYPES = ("float32", "float16")
_BYTES = {"float32": 4, "float16": 2}


def _make_inputs(n: int, c: int, h: int, w: int):
    def make(device, dtype):
        import torch

        gen = torch.Generator(device="cpu").manual_seed(0)
        img = torch.rand(n, c, h, w, generator=gen).to(device=device, dtype=dtype)
        flow = (torch.randn(n, 2, h, w, generator=gen) * 8).to(device=device, dtype=dtype)
        return img, flow

    return make


def _op(img, flow):
    from vfi.kernels.backward_warp.torch_op import backward_warp_op

    return backward_warp_op(img, flow)


def _baseline(img, flow):
    from vfi.kernels.backward_warp.reference import backward_warp_grid_sample

    return backward_warp_grid_sample(img, flow)


def cases(height: int = 1080, width: int = 1920, batch: int = 1, channels=CHANNELS, dtypes=DTYPES) -> list[BenchCase]:
    """One case per (channels, dtype). bytes_moved: read img + flow once, write out once."""
    from vfi.kernels.backward_warp.flops import backward_warp_flops

    out = []
    for c in channels:
        for dtype in dtypes:
            size = _BYTES[dtype]
            moved = batch * height * width * (2 * c + 2) * size
            out.append(
                BenchCase(
                    op="backward_warp",
                    label=f"{width}x{height} C={c}",
                    dtype=dtype,
                    make_inputs=_make_inputs(batch, c, height, width),
                    run=_op,
                    baseline=_baseline,
                    bytes_moved=moved,
                    flops=backward_warp_flops((batch, c, height, width)),
                )
            )
    return out
