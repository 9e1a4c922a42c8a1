"""PTX of the dsep_conv kernel for the TensorRT AOT plugin, compiled without a GPU.

`generate_ptx` compiles `triton_kernel.dsep_conv_kernel` for one data dtype (img, v, h, mask,
out; alpha and beta are always fp32) with `vfi.kernels.deform_conv2d.ptx.compile_aot`, which
strips Triton's unread hidden scratch parameters so the `.entry` declares exactly
(img, v, h, alpha, beta, mask, C, H, W, K, P, out): what TensorRT's AOT launcher passes. K is a
runtime scalar, so one PTX serves every kernel size. It must run where `TRITON_INTERPRET` is
unset; `generate_ptx_subprocess` runs it in a fresh process for callers under the interpreter.
"""

from __future__ import annotations

import dataclasses


def generate_ptx(
    dtype: str = "float16", arch: int = 90, block: int | None = None, block_c: int | None = None, num_warps: int | None = None
):
    """PTX of `dsep_conv_kernel` for data `dtype` ("float32"/"float16") and sm_`arch`.

    Needs triton but no GPU; raises RuntimeError under `TRITON_INTERPRET=1`. Returns a
    `vfi.kernels.backward_warp.ptx.PtxKernel` whose `block` is the pixels per program (the
    channel block is `triton_kernel.BLOCK_C` unless `block_c` is given).
    """
    from vfi.kernels.deform_conv2d.ptx import compile_aot
    from vfi.kernels.dsep_conv import triton_kernel as tk

    block = block or tk.BLOCK
    block_c = block_c or tk.BLOCK_C
    kernel = compile_aot(
        tk.dsep_conv_kernel, tk.KERNEL_PARAMS, {"BLOCK": block, "BLOCK_C": block_c}, dtype, num_warps or tk.NUM_WARPS, arch
    )
    return dataclasses.replace(kernel, block=block)


def generate_ptx_subprocess(**kwargs):
    """`generate_ptx(**kwargs)` in a fresh process without TRITON_INTERPRET (usable under the interpreter)."""
    from vfi.kernels.deform_conv2d.ptx import run_in_subprocess

    return run_in_subprocess(__name__, kwargs)


__all__ = ["generate_ptx", "generate_ptx_subprocess"]
