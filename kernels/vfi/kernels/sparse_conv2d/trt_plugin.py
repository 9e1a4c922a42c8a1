"""TensorRT plugin `vfi::VfiSparseConv2d` (quickly deployable plugin, ahead-of-time kernel).

Importing this module registers the plugin with TensorRT (>= 10.7, `tensorrt.plugin`); without
TensorRT the import raises `vfi.core.errors.BackendUnavailable`.

Active-index step: the plugin runs `sparse_conv2d_dense_kernel`, which covers every output tile and
skips the GEMM of tiles without an active position (no separate compaction kernel). An AOT plugin
returns one kernel whose grid is an expression of the shapes, so a data-dependent grid (count of
active positions) or a compaction pass needing a workspace and an atomic counter would need a
second plugin node; tile skipping keeps one node and one launch, and the coherent masks of
uncertainty-guided pruning make most tiles all-active or all-inactive. Kernel arguments: (x, mask
as u8 (bool storage), weight, bias, fallback, 13 int32 scalars, out).

Checked on CPU against TensorRT's own `tensorrt.plugin` package (registration, fields, I/O types:
tests/kernels/test_trt_plugins_against_tensorrt.py); never built into an engine here (see the
`tensorrt`-marked tests). That TensorRT hands a BOOL plugin input as 1 byte per element is
assumed, as for its other bool tensors.
"""

# No `from __future__ import annotations` here: tensorrt.plugin validates the decorated functions'
# annotations as objects (TensorDesc subclasses, return tuple types); strings are refused.

import numpy as np
import numpy.typing as npt

from vfi.core.tensorrt import import_plugin_api
from vfi.kernels.sparse_conv2d import ptx as ptx_facet
from vfi.kernels.sparse_conv2d.onnx_lowering import OP_TYPE, PLUGIN_FIELDS, PLUGIN_NAMESPACE

trt, trtp = import_plugin_api("vfi::VfiSparseConv2d")

PLUGIN_ID = f"{PLUGIN_NAMESPACE}::{OP_TYPE}"
_DTYPES = {trt.float32: "float32", trt.float16: "float16"}
Ints = npt.NDArray[np.int32]


@trtp.register(PLUGIN_ID)
def sparse_conv2d_desc(
    x: trtp.TensorDesc,
    mask: trtp.TensorDesc,
    weight: trtp.TensorDesc,
    bias: trtp.TensorDesc,
    fallback: trtp.TensorDesc,
    kernel_shape: Ints,
    stride: Ints,
    padding: Ints,
    dilation: Ints,
    has_bias: int,
    has_fallback: int,
) -> trtp.TensorDesc:
    """Output [N, Cout, Ho, Wo] in x's dtype; Ho, Wo are the mask's spatial dims."""
    return trtp.from_shape_expr((x.shape_expr[0], weight.shape_expr[0], mask.shape_expr[2], mask.shape_expr[3]), dtype=x.dtype)


@trtp.autotune(PLUGIN_ID)
def sparse_conv2d_autotune(
    x: trtp.TensorDesc,
    mask: trtp.TensorDesc,
    weight: trtp.TensorDesc,
    bias: trtp.TensorDesc,
    fallback: trtp.TensorDesc,
    outputs: tuple[trtp.TensorDesc],
) -> list[trtp.AutoTuneCombination]:
    # x, weight, bias, fallback, out share fp32 or fp16; the mask is BOOL; NCHW.
    return [trtp.AutoTuneCombination("FP32|FP16, BOOL, FP32|FP16, FP32|FP16, FP32|FP16, FP32|FP16", "LINEAR")]


def _device_arch() -> int:
    import torch

    major, minor = torch.cuda.get_device_capability()
    return major * 10 + minor


@trtp.aot_impl(PLUGIN_ID)
def sparse_conv2d_aot(
    x: trtp.TensorDesc,
    mask: trtp.TensorDesc,
    weight: trtp.TensorDesc,
    bias: trtp.TensorDesc,
    fallback: trtp.TensorDesc,
    kernel_shape: Ints,
    stride: Ints,
    padding: Ints,
    dilation: Ints,
    has_bias: int,
    has_fallback: int,
    outputs: tuple[trtp.TensorDesc],
    tactic: int,
) -> tuple[str, str, trtp.KernelLaunchParams, trtp.SymIntExprs]:
    """(kernel name, PTX, launch parameters, int32 scalar arguments) for TensorRT."""
    import os

    dtype = _DTYPES[x.dtype]
    make = (
        ptx_facet.generate_ptx_subprocess if os.environ.get("TRITON_INTERPRET") not in (None, "", "0") else ptx_facet.generate_ptx
    )
    kernel = make(
        dtype=dtype,
        kernel_shape=[int(k) for k in kernel_shape],
        has_bias=bool(has_bias),
        has_fallback=bool(has_fallback),
        arch=_device_arch(),
    )
    blocks = ptx_facet.BLOCKS[dtype]
    n, c, h, w = (x.shape_expr[i] for i in range(4))
    cout = weight.shape_expr[0]
    ho, wo = outputs[0].shape_expr[2], outputs[0].shape_expr[3]

    launch = trtp.KernelLaunchParams()
    launch.grid_x = trtp.cdiv(n * ho * wo, blocks["BLOCK_P"])
    launch.grid_y = trtp.cdiv(cout, blocks["BLOCK_N"])
    launch.block_x = kernel.threads_per_block
    launch.shared_mem = kernel.shared_mem

    values = (
        n,
        c,
        h,
        w,
        cout,
        ho,
        wo,
        int(stride[0]),
        int(stride[1]),
        int(padding[0]),
        int(padding[1]),
        int(dilation[0]),
        int(dilation[1]),
    )
    scalars = trtp.SymIntExprs(len(values))  # the i32 parameters of ptx.KERNEL_PARAMS, in order
    for i, value in enumerate(values):
        scalars[i] = trtp.SymInt32(value)
    return kernel.name, kernel.ptx, launch, scalars


assert len(PLUGIN_FIELDS) == 6, "sparse_conv2d_desc must declare every field of onnx_lowering.PLUGIN_FIELDS"
