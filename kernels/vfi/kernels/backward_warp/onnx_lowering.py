"""ONNX lowerings of backward_warp, chosen by `vfi.kernels.export_flavour` during export.

* `lower_tensorrt`: one node `vfi::VfiBackwardWarp` (the TensorRT plugin of `trt_plugin.py`).
  TensorRT's parser ignores the domain and looks the plugin up by op_type, `plugin_version` and
  `plugin_namespace`; every other attribute becomes a plugin field of the same name. The op has
  no parameters, so `PLUGIN_FIELDS` is empty.
* `lower_portable`: standard ONNX only: grid construction + `GridSample(mode="bilinear",
  padding_mode="border", align_corners=1)`. Valid at opsets 16..19 only; at opset 20 the
  exporter writes mode="linear", which TensorRT's parser runs as nearest
  (`vfi.kernels.onnx_lint.lint` refuses it).
"""

from __future__ import annotations

DOMAIN = "vfi"
OP_TYPE = "VfiBackwardWarp"
PLUGIN_NAMESPACE = "vfi"
PLUGIN_VERSION = "1"
# Node attributes that TensorRT hands to the plugin as fields (names identical on both sides).
PLUGIN_FIELDS: tuple[str, ...] = ()


def lower_tensorrt(img, flow):
    """Emit the custom node (dynamo exporter, opset 18). Output: img's shape and dtype."""
    import torch

    attrs = {"plugin_namespace": PLUGIN_NAMESPACE, "plugin_version": PLUGIN_VERSION}
    return torch.onnx.ops.symbolic(f"{DOMAIN}::{OP_TYPE}", (img, flow), attrs, dtype=img.dtype, shape=img.shape, version=1)


def lower_portable(img, flow):
    """Emit grid construction + GridSample (bilinear, border, align_corners=1)."""
    from vfi.kernels.backward_warp.reference import backward_warp_grid_sample

    return backward_warp_grid_sample(img, flow)
