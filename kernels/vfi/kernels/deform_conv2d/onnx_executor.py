"""CPU executor (NumPy) of the `vfi::VfiDeformConv2d` node for `onnx.reference.ReferenceEvaluator`.

    ReferenceEvaluator(model, new_ops=[VfiDeformConv2d])

Same semantics as `reference.deform_conv2d_reference` (ONNX DeformConv): coordinates and arithmetic
in float32 (float64 for float64 data), output in x's dtype. Placeholders of absent inputs are
ignored according to `has_mask` / `has_bias`.
"""

from __future__ import annotations

import numpy as np
from onnx.reference.op_run import OpRun


def deform_conv2d_numpy(x, offset, mask, weight, bias, stride, padding, dilation, groups, offset_groups):
    n, cin, h, w = x.shape
    cout, cin_g, kh, kw = weight.shape
    taps = kh * kw
    ho, wo = offset.shape[2:]
    cdt = np.float64 if x.dtype == np.float64 else np.float32
    off = offset.astype(cdt).reshape(n, offset_groups, kh, kw, 2, ho, wo)
    oy = np.arange(ho, dtype=cdt).reshape(ho, 1) * stride[0] - padding[0]
    ox = np.arange(wo, dtype=cdt).reshape(1, wo) * stride[1] - padding[1]
    ky = np.arange(kh, dtype=cdt).reshape(kh, 1, 1, 1) * dilation[0]
    kx = np.arange(kw, dtype=cdt).reshape(1, kw, 1, 1) * dilation[1]
    py = (oy + ky + off[:, :, :, :, 0]).reshape(n, offset_groups, 1, -1)
    px = (ox + kx + off[:, :, :, :, 1]).reshape(n, offset_groups, 1, -1)
    cg = cin // offset_groups
    data = x.astype(cdt).reshape(n, offset_groups, cg, h * w)
    y0, x0 = np.floor(py), np.floor(px)
    ly, lx = py - y0, px - x0
    y0, x0 = y0.astype(np.int64), x0.astype(np.int64)
    cols = np.zeros((n, offset_groups, cg, py.shape[-1]), dtype=cdt)
    for dy, wy in ((0, 1 - ly), (1, ly)):
        for dx, wx in ((0, 1 - lx), (1, lx)):
            yy, xx = y0 + dy, x0 + dx
            inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            index = np.broadcast_to(np.clip(yy, 0, h - 1) * w + np.clip(xx, 0, w - 1), cols.shape)
            cols += np.take_along_axis(data, index, axis=3) * (wy * wx * inside)
    cols = cols.reshape(n, offset_groups, cg, taps, ho * wo)
    if mask is not None:
        cols = cols * mask.astype(cdt).reshape(n, offset_groups, 1, taps, ho * wo)
    cols = cols.reshape(n, groups, cin_g * taps, ho * wo)
    wmat = weight.astype(cdt).reshape(groups, cout // groups, cin_g * taps)
    out = np.einsum("gok,ngkl->ngol", wmat, cols).reshape(n, cout, ho, wo)
    if bias is not None:
        out = out + bias.astype(cdt).reshape(1, cout, 1, 1)
    return out.astype(x.dtype)


class VfiDeformConv2d(OpRun):
    """`vfi::VfiDeformConv2d` for the ONNX reference evaluator."""

    op_domain = "vfi"

    def _run(
        self,
        x,
        offset,
        mask,
        weight,
        bias,
        stride=None,
        padding=None,
        dilation=None,
        groups=1,
        offset_groups=1,
        has_mask=1,
        has_bias=1,
        kernel_shape=None,
        plugin_namespace=None,
        plugin_version=None,
    ):
        out = deform_conv2d_numpy(
            x,
            offset,
            mask if has_mask else None,
            weight,
            bias if has_bias else None,
            list(stride or (1, 1)),
            list(padding or (0, 0)),
            list(dilation or (1, 1)),
            int(groups),
            int(offset_groups),
        )
        return (out,)
