"""CPU executor (NumPy) of the `vfi::VfiDsepConv` node for `onnx.reference.ReferenceEvaluator`.

    ReferenceEvaluator(model, new_ops=[VfiDsepConv])

Same semantics as `reference.dsep_conv_reference` (see the package docstring): positions,
bilinear weights and sums in float32 (float64 for float64 images), NaN offsets count as 0,
positions clamped to the frame; output in the image dtype. Plugin attributes are accepted and
ignored.
"""

from __future__ import annotations

import numpy as np
from onnx.reference.op_run import OpRun


def dsep_conv_numpy(img, v, h, alpha, beta, mask) -> np.ndarray:
    """dsep_conv of img [N,C,H,W] with v, h [N,K,H,W] and alpha, beta, mask [N,K*K,H,W]."""
    n, c, hh, ww = img.shape
    k = v.shape[1]
    r = (k - 1) // 2
    cdt = np.float64 if img.dtype == np.float64 else np.float32
    data = img.astype(cdt).reshape(n, c, hh * ww)
    v, h, mask = v.astype(cdt), h.astype(cdt), mask.astype(cdt)
    alpha = np.nan_to_num(alpha.astype(cdt), nan=0.0, posinf=np.inf, neginf=-np.inf)
    beta = np.nan_to_num(beta.astype(cdt), nan=0.0, posinf=np.inf, neginf=-np.inf)
    ys = np.arange(hh, dtype=cdt).reshape(1, hh, 1)
    xs = np.arange(ww, dtype=cdt).reshape(1, 1, ww)

    def tap(yi, xi):
        index = np.broadcast_to((yi * ww + xi).reshape(n, 1, -1), (n, c, hh * ww))
        return np.take_along_axis(data, index, axis=2).reshape(n, c, hh, ww)

    out = np.zeros((n, c, hh, ww), dtype=cdt)
    for i in range(k):
        for j in range(k):
            t = i * k + j
            sy = np.clip(ys + cdt(i - r) + alpha[:, t], 0, hh - 1)
            sx = np.clip(xs + cdt(j - r) + beta[:, t], 0, ww - 1)
            y0f, x0f = np.floor(sy), np.floor(sx)
            wy, wx = (sy - y0f)[:, None], (sx - x0f)[:, None]
            y0, x0 = y0f.astype(np.int64), x0f.astype(np.int64)
            y1, x1 = np.minimum(y0 + 1, hh - 1), np.minimum(x0 + 1, ww - 1)
            sample = (tap(y0, x0) * (1 - wx) + tap(y0, x1) * wx) * (1 - wy) + (tap(y1, x0) * (1 - wx) + tap(y1, x1) * wx) * wy
            out += sample * (v[:, i] * h[:, j] * mask[:, t])[:, None]
    return out.astype(img.dtype)


class VfiDsepConv(OpRun):
    """`vfi::VfiDsepConv` for the ONNX reference evaluator."""

    op_domain = "vfi"

    def _run(self, img, v, h, alpha, beta, mask, plugin_namespace=None, plugin_version=None):
        return (dsep_conv_numpy(img, v, h, alpha, beta, mask),)
