"""PTX of the forward_splat splat kernel for the TensorRT AOT plugin, compiled without a GPU.

`generate_ptx` compiles `triton_kernel.forward_splat_kernel` for one data dtype and one mode
(`mode` is a compile-time constant: the plugin's string field picks the PTX, no integer codes) with
`vfi.kernels.deform_conv2d.ptx.compile_aot`, which strips Triton's unread hidden scratch
parameters so the `.entry` declares exactly (img, flow, metric, accumulator, C, H, W, P, out): what
TensorRT's AOT launcher passes. It must run where `TRITON_INTERPRET` is unset;
`generate_ptx_subprocess` runs it in a fresh process for callers under the interpreter.

Only the splat kernel becomes PTX: the plugin launches one kernel, and the zero accumulator and
the normalisation are standard ops of the TensorRT-flavoured graph (`onnx_lowering`).
"""

from __future__ import annotations

import dataclasses

from vfi.kernels.forward_splat.reference import MODES


def generate_ptx(
    dtype: str = "float16", mode: str = "soft", arch: int = 90, block: int | None = None, num_warps: int | None = None
):
    """PTX of `forward_splat_kernel` for img/flow `dtype` ("float32"/"float16"), `mode` and sm_`arch`.

    Needs triton but no GPU; raises RuntimeError under `TRITON_INTERPRET=1`. Returns a
    `vfi.kernels.backward_warp.ptx.PtxKernel`.
    """
    from vfi.kernels.deform_conv2d.ptx import compile_aot
    from vfi.kernels.forward_splat import triton_kernel as tk

    if mode not in MODES:
        raise ValueError(f"forward_splat PTX: mode must be one of {MODES}, got {mode!r}")
    block = block or tk.BLOCK
    kernel = compile_aot(
        tk.forward_splat_kernel, tk.KERNEL_PARAMS, {"MODE": mode, "BLOCK": block}, dtype, num_warps or tk.NUM_WARPS, arch
    )
    return dataclasses.replace(kernel, block=block)


def generate_ptx_subprocess(**kwargs):
    """`generate_ptx(**kwargs)` in a fresh process without TRITON_INTERPRET (usable under the interpreter)."""
    from vfi.kernels.deform_conv2d.ptx import run_in_subprocess

    return run_in_subprocess(__name__, kwargs)


__all__ = ["generate_ptx", "generate_ptx_subprocess"]
