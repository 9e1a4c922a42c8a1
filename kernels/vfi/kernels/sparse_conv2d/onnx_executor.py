"""CPU executor (NumPy) of the `vfi::VfiSparseConv2d` node for `onnx.reference.ReferenceEvaluator`.

    ReferenceEvaluator(model, new_ops=[VfiSparseConv2d])

Gathers the receptive fields of the active outputs and runs one matmul (cost ~ active fraction),
arithmetic in float32 (float64 for float64 data), output in x's dtype.
"""

from __future__ import annotations

import numpy as np
from onnx.reference.op_run import OpRun


def sparse_conv2d_numpy(x, mask, weight, bias, fallback, stride, padding, dilation):
    n, cin, h, w = x.shape
    cout, _, kh, kw = weight.shape
    ho = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    cdt = np.float64 if x.dtype == np.float64 else np.float32
    out = np.zeros((n, ho, wo, cout), dtype=cdt)
    if fallback is not None:
        out[:] = fallback.astype(cdt).transpose(0, 2, 3, 1)
    b, _, oy, ox = np.nonzero(mask.astype(bool))
    if b.size:
        xp = np.pad(x.astype(cdt), ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2)).transpose(0, 2, 3, 1)
        iy = (oy * stride[0])[:, None, None] + (np.arange(kh) * dilation[0])[None, :, None]
        ix = (ox * stride[1])[:, None, None] + (np.arange(kw) * dilation[1])[None, None, :]
        patches = xp[b[:, None, None], iy, ix]  # [P, KH, KW, Cin]
        patches = patches.transpose(0, 3, 1, 2).reshape(b.size, -1)
        vals = patches @ weight.astype(cdt).reshape(cout, -1).T
        if bias is not None:
            vals = vals + bias.astype(cdt)
        out[b, oy, ox] = vals
    return out.transpose(0, 3, 1, 2).astype(x.dtype)


class VfiSparseConv2d(OpRun):
    """`vfi::VfiSparseConv2d` for the ONNX reference evaluator."""

    op_domain = "vfi"

    def _run(
        self,
        x,
        mask,
        weight,
        bias,
        fallback,
        stride=None,
        padding=None,
        dilation=None,
        has_bias=1,
        has_fallback=1,
        kernel_shape=None,
        plugin_namespace=None,
        plugin_version=None,
    ):
        out = sparse_conv2d_numpy(
            x,
            mask,
            weight,
            bias if has_bias else None,
            fallback if has_fallback else None,
            list(stride or (1, 1)),
            list(padding or (0, 0)),
            list(dilation or (1, 1)),
        )
        return (out,)
