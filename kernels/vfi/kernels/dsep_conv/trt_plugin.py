"""TensorRT plugin `vfi::VfiDsepConv` (quickly deployable plugin, ahead-of-time kernel).

Importing this module registers the plugin with TensorRT (>= 10.7, `tensorrt.plugin`); without
TensorRT the import raises `vfi.core.errors.BackendUnavailable`. The kernel is the same Triton
function as the CUDA path of the torch op, compiled to PTX by `vfi.kernels.dsep_conv.ptx` for the
building device; an engine that holds it runs without Python. Launch: a 2-D grid, one program per
`BLOCK` output pixels (x) and `triton_kernel.BLOCK_C` channels (y); kernel arguments
(img, v, h, alpha, beta, mask, C, H, W, K, N*H*W, out) -- inputs, int32 scalars, output, the
order TensorRT passes.

Types: img, v, h, mask and the output fp32 or fp16 (the same); alpha and beta fp32 (positions stay
fp32). The ONNX node written by `onnx_lowering.lower_tensorrt` finds this plugin by op_type
`VfiDsepConv`, `plugin_namespace` "vfi" and `plugin_version` "1"; it has no fields
(`onnx_lowering.PLUGIN_FIELDS`; K comes from v's shape). Never built into an engine here (no
TensorRT builder).
"""

# No `from __future__ import annotations` here: tensorrt.plugin validates the decorated functions'
# annotations as objects (TensorDesc subclasses, return tuple types); strings are refused.

from vfi.core.tensorrt import import_plugin_api
from vfi.kernels.dsep_conv.onnx_lowering import DOMAIN, OP_TYPE, PLUGIN_FIELDS

trt, trtp = import_plugin_api("vfi::VfiDsepConv")

PLUGIN_ID = f"{DOMAIN}::{OP_TYPE}"
assert not PLUGIN_FIELDS, "dsep_conv_desc must declare every field of PLUGIN_FIELDS"

_DTYPES = {trt.float32: "float32", trt.float16: "float16"}


@trtp.register(PLUGIN_ID)
def dsep_conv_desc(
    img: trtp.TensorDesc,
    v: trtp.TensorDesc,
    h: trtp.TensorDesc,
    alpha: trtp.TensorDesc,
    beta: trtp.TensorDesc,
    mask: trtp.TensorDesc,
) -> trtp.TensorDesc:
    """Output: img's shape and dtype. img [N,C,H,W], v and h [N,K,H,W], alpha, beta, mask [N,K*K,H,W]."""
    return img.like()


@trtp.autotune(PLUGIN_ID)
def dsep_conv_autotune(
    img: trtp.TensorDesc,
    v: trtp.TensorDesc,
    h: trtp.TensorDesc,
    alpha: trtp.TensorDesc,
    beta: trtp.TensorDesc,
    mask: trtp.TensorDesc,
    outputs: tuple[trtp.TensorDesc],
) -> list[trtp.AutoTuneCombination]:
    # img, v, h, mask and out share one type (fp32 or fp16, paired by position); alpha, beta fp32; NCHW.
    return [trtp.AutoTuneCombination("FP32|FP16, FP32|FP16, FP32|FP16, FP32, FP32, FP32|FP16, FP32|FP16", "LINEAR")]


def _device_arch() -> int:
    import torch

    major, minor = torch.cuda.get_device_capability()
    return major * 10 + minor


@trtp.aot_impl(PLUGIN_ID)
def dsep_conv_aot(
    img: trtp.TensorDesc,
    v: trtp.TensorDesc,
    h: trtp.TensorDesc,
    alpha: trtp.TensorDesc,
    beta: trtp.TensorDesc,
    mask: trtp.TensorDesc,
    outputs: tuple[trtp.TensorDesc],
    tactic: int,
) -> tuple[str, str, trtp.KernelLaunchParams, trtp.SymIntExprs]:
    """(kernel name, PTX, launch parameters, int32 scalar arguments) for TensorRT."""
    import os

    from vfi.kernels.dsep_conv import ptx as ptx_facet
    from vfi.kernels.dsep_conv.triton_kernel import BLOCK_C

    if img.dtype not in _DTYPES or any(t.dtype != img.dtype for t in (v, h, mask)):
        raise ValueError(
            f"VfiDsepConv: img, v, h and mask must share fp32 or fp16, got {img.dtype}, {v.dtype}, {h.dtype}, {mask.dtype}"
        )
    if alpha.dtype != trt.float32 or beta.dtype != trt.float32:
        raise ValueError(f"VfiDsepConv: alpha and beta must be fp32, got {alpha.dtype}, {beta.dtype}")
    make = (
        ptx_facet.generate_ptx_subprocess if os.environ.get("TRITON_INTERPRET") not in (None, "", "0") else ptx_facet.generate_ptx
    )
    kernel = make(dtype=_DTYPES[img.dtype], arch=_device_arch(), block_c=BLOCK_C)
    n, c, hh, ww = (img.shape_expr[i] for i in range(4))
    k = v.shape_expr[1]
    pixels = n * hh * ww

    launch = trtp.KernelLaunchParams()
    launch.grid_x = trtp.cdiv(pixels, kernel.block)
    launch.grid_y = trtp.cdiv(c, BLOCK_C)
    launch.block_x = kernel.threads_per_block
    launch.shared_mem = kernel.shared_mem

    scalars = trtp.SymIntExprs(5)  # C, H, W, K, P: the i32 parameters of triton_kernel.KERNEL_PARAMS
    scalars[0] = trtp.SymInt32(c)
    scalars[1] = trtp.SymInt32(hh)
    scalars[2] = trtp.SymInt32(ww)
    scalars[3] = trtp.SymInt32(k)
    scalars[4] = trtp.SymInt32(pixels)
    return kernel.name, kernel.ptx, launch, scalars
