"""TensorRT plugin `vfi::VfiDeformConv2d` (quickly deployable plugin, ahead-of-time kernel).

Importing this module registers the plugin with TensorRT (>= 10.7, `tensorrt.plugin`); without
TensorRT the import raises `vfi.core.errors.BackendUnavailable`. The kernel is the Triton function of the
torch op's CUDA path, compiled to PTX by `vfi.kernels.deform_conv2d.ptx` for the building device, so
an engine holding it runs without Python. Kernel arguments: (x, offset, mask, weight, bias, 15 int32
scalars, out) -- inputs, scalars, output, the order TensorRT passes.

The ONNX node written by `onnx_lowering.lower_tensorrt` finds this plugin by op_type
`VfiDeformConv2d`, `plugin_namespace` "vfi", `plugin_version` "1"; its other attributes are the
fields of `deform_conv2d_desc` by name (`onnx_lowering.PLUGIN_FIELDS`). Checked on CPU against
TensorRT's own `tensorrt.plugin` package (tests/kernels/test_trt_plugins_against_tensorrt.py);
never built into an engine here (see the `tensorrt`-marked tests).
"""

# No `from __future__ import annotations` here: tensorrt.plugin validates the decorated functions'
# annotations as objects (TensorDesc subclasses, return tuple types); strings are refused.

import numpy as np
import numpy.typing as npt

from vfi.core.tensorrt import import_plugin_api
from vfi.kernels.deform_conv2d import ptx as ptx_facet
from vfi.kernels.deform_conv2d.onnx_lowering import OP_TYPE, PLUGIN_FIELDS, PLUGIN_NAMESPACE

trt, trtp = import_plugin_api("vfi::VfiDeformConv2d")

PLUGIN_ID = f"{PLUGIN_NAMESPACE}::{OP_TYPE}"
_DTYPES = {trt.float32: "float32", trt.float16: "float16"}
Ints = npt.NDArray[np.int32]


@trtp.register(PLUGIN_ID)
def deform_conv2d_desc(
    x: trtp.TensorDesc,
    offset: trtp.TensorDesc,
    mask: trtp.TensorDesc,
    weight: trtp.TensorDesc,
    bias: trtp.TensorDesc,
    kernel_shape: Ints,
    stride: Ints,
    padding: Ints,
    dilation: Ints,
    groups: int,
    offset_groups: int,
    has_mask: int,
    has_bias: int,
) -> trtp.TensorDesc:
    """Output [N, Cout, Ho, Wo] in x's dtype; Ho, Wo are the offset's spatial dims."""
    return trtp.from_shape_expr(
        (x.shape_expr[0], weight.shape_expr[0], offset.shape_expr[2], offset.shape_expr[3]), dtype=x.dtype
    )


@trtp.autotune(PLUGIN_ID)
def deform_conv2d_autotune(
    x: trtp.TensorDesc,
    offset: trtp.TensorDesc,
    mask: trtp.TensorDesc,
    weight: trtp.TensorDesc,
    bias: trtp.TensorDesc,
    outputs: tuple[trtp.TensorDesc],
) -> list[trtp.AutoTuneCombination]:
    # One dtype for every tensor (fp32, or fp16 with fp32 accumulation and fp32 coordinates), NCHW.
    return [trtp.AutoTuneCombination(", ".join(["FP32|FP16"] * 6), "LINEAR")]


def _device_arch() -> int:
    import torch

    major, minor = torch.cuda.get_device_capability()
    return major * 10 + minor


@trtp.aot_impl(PLUGIN_ID)
def deform_conv2d_aot(
    x: trtp.TensorDesc,
    offset: trtp.TensorDesc,
    mask: trtp.TensorDesc,
    weight: trtp.TensorDesc,
    bias: trtp.TensorDesc,
    kernel_shape: Ints,
    stride: Ints,
    padding: Ints,
    dilation: Ints,
    groups: int,
    offset_groups: int,
    has_mask: int,
    has_bias: int,
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
        has_mask=bool(has_mask),
        has_bias=bool(has_bias),
        arch=_device_arch(),
    )
    blocks = ptx_facet.BLOCKS[dtype]
    n, c, h, w = (x.shape_expr[i] for i in range(4))
    cout = weight.shape_expr[0]
    ho, wo = outputs[0].shape_expr[2], outputs[0].shape_expr[3]

    launch = trtp.KernelLaunchParams()
    launch.grid_x = trtp.cdiv(n * ho * wo, blocks["BLOCK_M"])
    launch.grid_y = trtp.cdiv(cout // int(groups), blocks["BLOCK_N"])
    launch.grid_z = int(groups)
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
        int(groups),
        int(offset_groups),
    )
    scalars = trtp.SymIntExprs(len(values))  # the i32 parameters of ptx.KERNEL_PARAMS, in order
    for i, value in enumerate(values):
        scalars[i] = trtp.SymInt32(value)
    return kernel.name, kernel.ptx, launch, scalars


assert len(PLUGIN_FIELDS) == 8, "deform_conv2d_desc must declare every field of onnx_lowering.PLUGIN_FIELDS"
