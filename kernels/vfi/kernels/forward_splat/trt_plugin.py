"""TensorRT plugin `vfi::VfiForwardSplat` (quickly deployable plugin, ahead-of-time kernel).

Importing this module registers the plugin with TensorRT (>= 10.7, `tensorrt.plugin`); without
TensorRT the import raises `vfi.core.errors.BackendUnavailable`. The kernel is the splat kernel of
the torch op's CUDA path, compiled to PTX by `vfi.kernels.forward_splat.ptx` for the building
device and the node's `mode`, so an engine that holds it runs without Python.

One kernel, in place: a QDP AOT plugin launches exactly one kernel and gets no workspace, so the
graph (`onnx_lowering.lower_tensorrt`) feeds a zero fp32 accumulator [N, C+1, H, W] as the fourth
input and normalises the output with standard ops. The output aliases that input
(`TensorDesc.aliased()`): the kernel `atomicAdd`s into it. Launch: one program per `BLOCK` source
pixels; kernel arguments (img, flow, metric, accumulator, C, H, W, N*H*W, out) -- inputs, int32
scalars, output, the order TensorRT passes (out and accumulator are the same buffer).

Types: img and flow fp32 or fp16 (the same), metric and accumulator fp32 (fp32 sums for fp16
data). The ONNX node finds this plugin by op_type `VfiForwardSplat`, `plugin_namespace` "vfi" and
`plugin_version` "1"; its attribute `mode` is the string field `mode` of `forward_splat_desc`
(`onnx_lowering.PLUGIN_FIELDS`). Never built into an engine here (no TensorRT builder).
"""

# No `from __future__ import annotations` here: tensorrt.plugin validates the decorated functions'
# annotations as objects (TensorDesc subclasses, return tuple types); strings are refused.

# tensorrt.plugin's creator (`_utils._is_npt_ndarray`) reads `numpy.typing` as an attribute of numpy
# for every non-tensor field without importing it: a plugin whose only field is a `str` fails with
# "module 'numpy' has no attribute 'typing'" unless someone has imported it (checked, TensorRT 11.4).
import numpy.typing  # noqa: F401

from vfi.core.tensorrt import import_plugin_api
from vfi.kernels.forward_splat.onnx_lowering import DOMAIN, OP_TYPE, PLUGIN_FIELDS
from vfi.kernels.forward_splat.reference import MODES

trt, trtp = import_plugin_api("vfi::VfiForwardSplat")

PLUGIN_ID = f"{DOMAIN}::{OP_TYPE}"
assert PLUGIN_FIELDS == ("mode",), "forward_splat_desc must declare every field of PLUGIN_FIELDS"

_DTYPES = {trt.float32: "float32", trt.float16: "float16"}


@trtp.register(PLUGIN_ID)
def forward_splat_desc(
    img: trtp.TensorDesc, flow: trtp.TensorDesc, metric: trtp.TensorDesc, accumulator: trtp.TensorDesc, mode: str
) -> trtp.TensorDesc:
    """Output: the accumulator [N, C+1, H, W] fp32, in place (aliased to input 3)."""
    if mode not in MODES:
        raise ValueError(f"VfiForwardSplat: mode must be one of {MODES}, got {mode!r}")
    return accumulator.aliased()


@trtp.autotune(PLUGIN_ID)
def forward_splat_autotune(
    img: trtp.TensorDesc,
    flow: trtp.TensorDesc,
    metric: trtp.TensorDesc,
    accumulator: trtp.TensorDesc,
    outputs: tuple[trtp.TensorDesc],
) -> list[trtp.AutoTuneCombination]:
    # img and flow fp32 or fp16 (paired by position); metric, accumulator and out fp32; NCHW.
    return [trtp.AutoTuneCombination("FP32|FP16, FP32|FP16, FP32, FP32, FP32", "LINEAR")]


def _device_arch() -> int:
    import torch

    major, minor = torch.cuda.get_device_capability()
    return major * 10 + minor


@trtp.aot_impl(PLUGIN_ID)
def forward_splat_aot(
    img: trtp.TensorDesc,
    flow: trtp.TensorDesc,
    metric: trtp.TensorDesc,
    accumulator: trtp.TensorDesc,
    mode: str,
    outputs: tuple[trtp.TensorDesc],
    tactic: int,
) -> tuple[str, str, trtp.KernelLaunchParams, trtp.SymIntExprs]:
    """(kernel name, PTX, launch parameters, int32 scalar arguments) for TensorRT."""
    import os

    from vfi.kernels.forward_splat import ptx as ptx_facet

    if img.dtype not in _DTYPES or flow.dtype != img.dtype:
        raise ValueError(f"VfiForwardSplat: img and flow must both be fp32 or both fp16, got {img.dtype}, {flow.dtype}")
    make = (
        ptx_facet.generate_ptx_subprocess if os.environ.get("TRITON_INTERPRET") not in (None, "", "0") else ptx_facet.generate_ptx
    )
    kernel = make(dtype=_DTYPES[img.dtype], mode=mode, arch=_device_arch())
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
