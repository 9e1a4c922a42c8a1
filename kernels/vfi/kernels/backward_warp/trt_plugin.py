"""TensorRT plugin `vfi::VfiBackwardWarp` (quickly deployable plugin, ahead-of-time kernel).

Importing this module registers the plugin with TensorRT (>= 10.7, `tensorrt.plugin`). The kernel
is the same Triton function as the CUDA path of the torch op, compiled to PTX by
`vfi.kernels.backward_warp.ptx` for the building device; an engine that holds it runs without
Python. Launch: one program per `BLOCK` output pixels; kernel arguments are
(img, flow, C, H, W, N*H*W, out) -- inputs, int32 scalars, outputs, the order TensorRT passes.

The ONNX node written by `onnx_lowering.lower_tensorrt` finds this plugin by op_type
`VfiBackwardWarp`, `plugin_namespace` "vfi" and `plugin_version` "1"; its other attributes map to
the fields of `backward_warp_desc` by name (there are none: `onnx_lowering.PLUGIN_FIELDS`).
"""

# No `from __future__ import annotations` here: tensorrt.plugin validates the decorated functions'
# annotations as objects (TensorDesc subclasses, return tuple types); strings are refused.

from vfi.core.tensorrt import import_plugin_api
from vfi.kernels.backward_warp.onnx_lowering import DOMAIN, OP_TYPE, PLUGIN_FIELDS

trt, trtp = import_plugin_api("vfi::VfiBackwardWarp")

PLUGIN_ID = f"{DOMAIN}::{OP_TYPE}"
assert not PLUGIN_FIELDS, "backward_warp_desc must declare every field of PLUGIN_FIELDS"

_DTYPES = {trt.float32: "float32", trt.float16: "float16"}


@trtp.register(PLUGIN_ID)
def backward_warp_desc(img: trtp.TensorDesc, flow: trtp.TensorDesc) -> trtp.TensorDesc:
    """Output: img's shape and dtype. img [N,C,H,W] and flow [N,2,H,W], fp32 or fp16."""
    return img.like()


@trtp.autotune(PLUGIN_ID)
def backward_warp_autotune(
    img: trtp.TensorDesc, flow: trtp.TensorDesc, outputs: tuple[trtp.TensorDesc]
) -> list[trtp.AutoTuneCombination]:
    # Same type for img, flow and out (fp32 or fp16), linear (NCHW) layout.
    return [trtp.AutoTuneCombination("FP32|FP16, FP32|FP16, FP32|FP16", "LINEAR")]


def _device_arch() -> int:
    import torch

    major, minor = torch.cuda.get_device_capability()
    return major * 10 + minor


@trtp.aot_impl(PLUGIN_ID)
def backward_warp_aot(
    img: trtp.TensorDesc, flow: trtp.TensorDesc, outputs: tuple[trtp.TensorDesc], tactic: int
) -> tuple[str, str, trtp.KernelLaunchParams, trtp.SymIntExprs]:
    """(kernel name, PTX, launch parameters, int32 scalar arguments) for TensorRT."""
    import os

    from vfi.kernels.backward_warp import ptx as ptx_facet

    make = (
        ptx_facet.generate_ptx_subprocess if os.environ.get("TRITON_INTERPRET") not in (None, "", "0") else ptx_facet.generate_ptx
    )
    kernel = make(dtype=_DTYPES[img.dtype], flow_dtype=_DTYPES[flow.dtype], arch=_device_arch())
    n, c, h, w = (img.shape_expr[i] for i in range(4))
    pixels = n * h * w

    launch = trtp.KernelLaunchParams()
    launch.grid_x = trtp.cdiv(pixels, kernel.block)
    launch.block_x = kernel.threads_per_block
    launch.shared_mem = kernel.shared_mem

    scalars = trtp.SymIntExprs(4)  # C, H, W, P: the i32 parameters of triton_kernel.KERNEL_PARAMS
    scalars[0] = trtp.SymInt32(c)
    scalars[1] = trtp.SymInt32(h)
    scalars[2] = trtp.SymInt32(w)
    scalars[3] = trtp.SymInt32(pixels)
    return kernel.name, kernel.ptx, launch, scalars
