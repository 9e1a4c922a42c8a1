"""ONNX lowerings of sparse_conv2d, called by the public function inside `torch.onnx.export` (dynamo).

* `lower_tensorrt`: one `vfi::VfiSparseConv2d` node (TensorRT plugin, version `PLUGIN_VERSION`) with
  inputs (x, mask, weight, bias, fallback) always present; an absent bias or fallback is a 1-element
  placeholder and `has_bias` / `has_fallback` say so. Attribute names equal the plugin's fields.
* `lower_portable`: standard ONNX `Conv` + `Where` (dense: computes every output; no sparsity
  saving, same numbers). Valid at any opset the exporter supports.
"""

from __future__ import annotations

import torch

from vfi.kernels.sparse_conv2d.reference import _pair, output_size

OP_TYPE = "VfiSparseConv2d"
PLUGIN_NAMESPACE = "vfi"
PLUGIN_VERSION = "1"


# Plugin fields, in the order of `trt_plugin.sparse_conv2d_desc` (kernel_shape duplicates weight's
# dims 2, 3 because the AOT kernel needs them as compile-time constants).
PLUGIN_FIELDS = ("kernel_shape", "stride", "padding", "dilation", "has_bias", "has_fallback")


def plugin_attributes(kernel_shape, stride, padding, dilation, has_bias, has_fallback) -> dict:
    """Node attributes = plugin fields (plus the parser's plugin_namespace / plugin_version)."""
    return dict(
        kernel_shape=[int(k) for k in kernel_shape],
        stride=list(_pair(stride)),
        padding=list(_pair(padding)),
        dilation=list(_pair(dilation)),
        has_bias=int(has_bias),
        has_fallback=int(has_fallback),
        plugin_namespace=PLUGIN_NAMESPACE,
        plugin_version=PLUGIN_VERSION,
    )


def lower_tensorrt(x, mask, weight, bias, fallback, stride, padding, dilation):
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    n, _, h, w = x.shape
    ho, wo = output_size((h, w), weight.shape[2:], stride, padding, dilation)
    placeholder = torch.zeros((1,), dtype=x.dtype)
    return torch.onnx.ops.symbolic(
        f"{PLUGIN_NAMESPACE}::{OP_TYPE}",
        (x, mask, weight, bias if bias is not None else placeholder, fallback if fallback is not None else placeholder),
        plugin_attributes(weight.shape[2:], stride, padding, dilation, bias is not None, fallback is not None),
        dtype=x.dtype,
        shape=(n, weight.shape[0], ho, wo),
        version=int(PLUGIN_VERSION),
    )


def lower_portable(x, mask, weight, bias, fallback, stride, padding, dilation):
    import torch.nn.functional as F

    dense = F.conv2d(x, weight, bias, _pair(stride), _pair(padding), _pair(dilation))
    if fallback is None:
        return torch.where(mask, dense, torch.zeros((), dtype=dense.dtype))
    return torch.where(mask, dense, fallback)
