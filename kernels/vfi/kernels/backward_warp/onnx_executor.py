"""CPU executor (NumPy) of the `vfi::VfiBackwardWarp` node for `onnx.reference.ReferenceEvaluator`.

    ReferenceEvaluator(model, new_ops=[VfiBackwardWarp])

Same semantics as `reference.backward_warp_reference`: coordinates and blending in float32 (float64
for float64 data), output in the image dtype. Plugin attributes are accepted and ignored.
"""

from __future__ import annotations

import numpy as np
from onnx.reference.op_run import OpRun


def backward_warp_numpy(img: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Warp img [N,C,H,W] by flow [N,2,H,W] (pixels), bilinear, clamped to the border."""
    n, c, h, w = img.shape
    cdt = np.float64 if img.dtype == np.float64 or flow.dtype == np.float64 else np.float32
    f = flow.astype(cdt)
    xs = np.arange(w, dtype=cdt).reshape(1, 1, w)
    ys = np.arange(h, dtype=cdt).reshape(1, h, 1)
    sx = xs + f[:, 0]
    sy = ys + f[:, 1]
    sx = np.where(np.isnan(sx), np.broadcast_to(xs, sx.shape), sx)
    sy = np.where(np.isnan(sy), np.broadcast_to(ys, sy.shape), sy)
    sx = np.clip(sx, 0, w - 1)
    sy = np.clip(sy, 0, h - 1)
    x0f, y0f = np.floor(sx), np.floor(sy)
    wx, wy = (sx - x0f)[:, None], (sy - y0f)[:, None]
    x0, y0 = x0f.astype(np.int64), y0f.astype(np.int64)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    data = img.astype(cdt).reshape(n, c, h * w)

    def tap(yi, xi):
        index = np.broadcast_to((yi * w + xi).reshape(n, 1, -1), (n, c, h * w))
        return np.take_along_axis(data, index, axis=2).reshape(n, c, h, w)

    out = (
        tap(y0, x0) * ((1 - wx) * (1 - wy))
        + tap(y0, x1) * (wx * (1 - wy))
        + tap(y1, x0) * ((1 - wx) * wy)
        + tap(y1, x1) * (wx * wy)
    )
    return out.astype(img.dtype)


class VfiBackwardWarp(OpRun):
    """`vfi::VfiBackwardWarp` for the ONNX reference evaluator."""

    op_domain = "vfi"

    def _run(self, img, flow, plugin_namespace=None, plugin_version=None):
        return (backward_warp_numpy(img, flow),)
