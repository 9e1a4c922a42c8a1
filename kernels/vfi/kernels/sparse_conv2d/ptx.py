"""PTX of the sparse_conv2d plugin kernel (`sparse_conv2d_dense_kernel`), compiled without a GPU.

The plugin runs the tile-skipping kernel (see `triton_kernel` for why not the compacted one): one
launch, grid fixed by shapes. Signature: (x, mask as u8, weight, bias, fallback, 13 int32 scalars,
out). Compilation as in `vfi.kernels.deform_conv2d.ptx.compile_aot`.
"""

from __future__ import annotations

from vfi.kernels.deform_conv2d.ptx import compile_aot, run_in_subprocess

KERNEL_PARAMS = (
    ("x_ptr", None),
    ("mask_ptr", None),
    ("weight_ptr", None),
    ("bias_ptr", None),
    ("fallback_ptr", None),
    *(
        (name, "i32")
        for name in ("N", "C", "H", "W", "COUT", "HO", "WO", "STRIDE_H", "STRIDE_W", "PAD_H", "PAD_W", "DIL_H", "DIL_W")
    ),
    ("out_ptr", None),
)
BLOCKS = {"float16": dict(BLOCK_P=64, BLOCK_N=64, BLOCK_K=16), "float32": dict(BLOCK_P=32, BLOCK_N=32, BLOCK_K=16)}
NUM_WARPS = 4


def generate_ptx(
    dtype: str = "float16",
    kernel_shape=(3, 3),
    has_bias: bool = True,
    has_fallback: bool = True,
    arch: int = 90,
    num_warps: int = NUM_WARPS,
    **blocks,
):
    """PTX of `sparse_conv2d_dense_kernel` for data `dtype` ("float32"/"float16") and sm_`arch`."""
    from vfi.kernels.sparse_conv2d.triton_kernel import sparse_conv2d_dense_kernel

    constexprs = dict(
        KH=int(kernel_shape[0]),
        KW=int(kernel_shape[1]),
        HAS_BIAS=bool(has_bias),
        HAS_FALLBACK=bool(has_fallback),
        HALF=dtype == "float16",
        **{**BLOCKS[dtype], **blocks},
    )
    return compile_aot(
        sparse_conv2d_dense_kernel, KERNEL_PARAMS, constexprs, dtype, num_warps, arch, pointer_types={"mask_ptr": "*u8"}
    )


def generate_ptx_subprocess(**kwargs):
    """`generate_ptx(**kwargs)` in a fresh process without TRITON_INTERPRET (usable under the interpreter)."""
    return run_in_subprocess(__name__, kwargs)
