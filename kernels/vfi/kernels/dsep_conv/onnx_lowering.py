"""ONNX lowerings of dsep_conv, chosen by `vfi.kernels.export_flavour` during export.

* `lower_tensorrt`: one node `vfi::VfiDsepConv` (the TensorRT plugin of `trt_plugin.py`) with
  inputs (img, v, h, alpha, beta, mask): img, v, h and mask in img's dtype, alpha and beta cast
  to fp32 (sampling positions stay fp32 in every precision). TensorRT's parser ignores the domain
  and looks the plugin up by op_type, `plugin_version` and `plugin_namespace`; every other
  attribute becomes a plugin field of the same name. K is read from v's shape, so the op has no
  parameters and `PLUGIN_FIELDS` is empty.
* `lower_portable`: standard ONNX only, the gather composition of `reference.py` traced tap by
  tap: IsNaN/Where for NaN offsets, Add/Clip/Floor for the clamped positions, four
  `GatherElements` per tap and the weighted sum (K*K taps unrolled: 25 for K = 5).
"""

from __future__ import annotations

DOMAIN = "vfi"
OP_TYPE = "VfiDsepConv"
PLUGIN_NAMESPACE = "vfi"
PLUGIN_VERSION = "1"
# Node attributes that TensorRT hands to the plugin as fields (names identical on both sides).
PLUGIN_FIELDS: tuple[str, ...] = ()


def lower_tensorrt(img, v, h, alpha, beta, mask):
    """Emit the custom node (dynamo exporter). Output: img's shape and dtype."""
    import torch

    attrs = {"plugin_namespace": PLUGIN_NAMESPACE, "plugin_version": PLUGIN_VERSION}
    inputs = (img, v.to(img.dtype), h.to(img.dtype), alpha.to(torch.float32), beta.to(torch.float32), mask.to(img.dtype))
    return torch.onnx.ops.symbolic(f"{DOMAIN}::{OP_TYPE}", inputs, attrs, dtype=img.dtype, shape=img.shape, version=1)


def lower_portable(img, v, h, alpha, beta, mask):
    """Emit the gather composition (standard ops only)."""
    from vfi.kernels.dsep_conv.reference import dsep_conv_reference

    return dsep_conv_reference(img, v, h, alpha, beta, mask)
