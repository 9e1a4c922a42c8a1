"""ONNX lowerings of deform_conv2d, called by the public function inside `torch.onnx.export` (dynamo).

* `lower_tensorrt`: one `vfi::VfiDeformConv2d` node (TensorRT plugin `vfi::VfiDeformConv2d`, version
  `PLUGIN_VERSION`). Inputs are always (x, offset, mask, weight, bias) so the plugin has one
  signature; an absent mask or bias is a 1-element placeholder and `has_mask` / `has_bias` say so.
  Attribute names equal the plugin's field names (`trt_plugin.py`).
* `lower_portable`: the standard `DeformConv` node (ai.onnx opset 19), emitted through
  `torch.onnx.ops.symbolic` with the default domain. DeformConv exists from opset 19 only, so a
  portable graph holding it must be exported with `opset_version=19` (at 18 the exporter writes the
  node but the graph is invalid); ONNX Runtime runs it on CPU, TensorRT >= 10.1 maps it to its
  built-in ModulatedDeformConv2d plugin.
"""

from __future__ import annotations

import torch

from vfi.kernels.deform_conv2d.reference import _pair, output_size

OP_TYPE = "VfiDeformConv2d"
PLUGIN_NAMESPACE = "vfi"
PLUGIN_VERSION = "1"
PORTABLE_OPSET = 19


def _out_shape(x, weight, stride, padding, dilation):
    n, _, h, w = x.shape
    ho, wo = output_size((h, w), weight.shape[2:], stride, padding, dilation)
    return (n, weight.shape[0], ho, wo)


# Plugin fields, in the order of `trt_plugin.deform_conv2d_desc` (kernel_shape duplicates weight's
# dims 2, 3 because the AOT kernel needs them as compile-time constants).
PLUGIN_FIELDS = ("kernel_shape", "stride", "padding", "dilation", "groups", "offset_groups", "has_mask", "has_bias")


def plugin_attributes(kernel_shape, stride, padding, dilation, groups, offset_groups, has_mask, has_bias) -> dict:
    """Node attributes = plugin fields (plus the parser's plugin_namespace / plugin_version)."""
    return dict(
        kernel_shape=[int(k) for k in kernel_shape],
        stride=list(_pair(stride)),
        padding=list(_pair(padding)),
        dilation=list(_pair(dilation)),
        groups=int(groups),
        offset_groups=int(offset_groups),
        has_mask=int(has_mask),
        has_bias=int(has_bias),
        plugin_namespace=PLUGIN_NAMESPACE,
        plugin_version=PLUGIN_VERSION,
    )


def lower_tensorrt(x, offset, mask, weight, bias, stride, padding, dilation, groups, offset_groups):
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    placeholder = torch.zeros((1,), dtype=x.dtype)
    attrs = plugin_attributes(
        weight.shape[2:], stride, padding, dilation, groups, offset_groups, mask is not None, bias is not None
    )
    return torch.onnx.ops.symbolic(
        f"{PLUGIN_NAMESPACE}::{OP_TYPE}",
        (x, offset, mask if mask is not None else placeholder, weight, bias if bias is not None else placeholder),
        attrs,
        dtype=x.dtype,
        shape=_out_shape(x, weight, stride, padding, dilation),
        version=int(PLUGIN_VERSION),
    )


def lower_portable(x, offset, mask, weight, bias, stride, padding, dilation, groups, offset_groups):
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    attrs = dict(
        dilations=list(dilation),
        group=int(groups),
        kernel_shape=[int(k) for k in weight.shape[2:]],
        offset_group=int(offset_groups),
        pads=[padding[0], padding[1], padding[0], padding[1]],
        strides=list(stride),
    )
    # DeformConv input order: X, W, offset, B, mask.
    return torch.onnx.ops.symbolic(
        "DeformConv",
        (x, weight, offset, bias, mask),
        attrs,
        dtype=x.dtype,
        shape=_out_shape(x, weight, stride, padding, dilation),
        version=PORTABLE_OPSET,
    )
