"""CPU executor (NumPy) of the `vfi::VfiForwardSplat` node for `onnx.reference.ReferenceEvaluator`.

    ReferenceEvaluator(model, new_ops=[VfiForwardSplat])

The node of `onnx_lowering.lower_tensorrt`: inputs (img, flow, fp32 metric, fp32 accumulator
[N, C+1, H, W]); the output is the accumulator plus every source pixel's bilinear contributions
(numerators in channels 0..C-1, weights in channel C), as the TensorRT plugin adds them in place.
"soft" exponentiates the metric as given (the graph has shifted it). Arithmetic in float32
(float64 for float64 data); plugin attributes other than `mode` are accepted and ignored.
"""

from __future__ import annotations

import numpy as np
from onnx.reference.op_run import OpRun


def forward_splat_accumulate_numpy(
    img: np.ndarray, flow: np.ndarray, metric: np.ndarray, acc: np.ndarray, mode: str
) -> np.ndarray:
    """acc [N, C+1, H, W] + the splat of img [N,C,H,W] by flow [N,2,H,W] with `metric` [N,1,H,W]."""
    n, c, h, w = img.shape
    cdt = np.float64 if img.dtype == np.float64 else np.float32
    out = acc.astype(cdt).reshape(n, c + 1, h * w).copy()
    data = img.astype(cdt).reshape(n, c, h * w)
    f = flow.astype(cdt)
    qx = np.arange(w, dtype=cdt).reshape(1, 1, w) + f[:, 0]
    qy = np.arange(h, dtype=cdt).reshape(1, h, 1) + f[:, 1]
    with np.errstate(invalid="ignore"):
        live = (qx > -1) & (qx < w) & (qy > -1) & (qy < h)  # False for NaN; all four taps out otherwise
    qx = np.where(live, qx, 0).reshape(n, -1)
    qy = np.where(live, qy, 0).reshape(n, -1)
    live = live.reshape(n, -1)
    x0, y0 = np.floor(qx), np.floor(qy)
    ax, ay = qx - x0, qy - y0
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    if mode == "linear":
        m = metric.astype(cdt).reshape(n, -1)
    elif mode == "soft":
        with np.errstate(over="ignore"):
            m = np.where(live, np.exp(np.where(live, metric.astype(cdt).reshape(n, -1), 0)), 0)
    else:
        m = np.ones_like(qx)
    for xi, yi, wgt in (
        (x0, y0, (1 - ax) * (1 - ay)),
        (x0 + 1, y0, ax * (1 - ay)),
        (x0, y0 + 1, (1 - ax) * ay),
        (x0 + 1, y0 + 1, ax * ay),
    ):
        inside = live & (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        wgt = (wgt * m).astype(cdt)
        for b in range(n):
            sel = inside[b]
            index = (yi[b] * w + xi[b])[sel]
            for ch in range(c):
                np.add.at(out[b, ch], index, data[b, ch, sel] * wgt[b, sel])
            if mode != "sum":
                np.add.at(out[b, c], index, wgt[b, sel])
    return out.reshape(n, c + 1, h, w).astype(acc.dtype)


class VfiForwardSplat(OpRun):
    """`vfi::VfiForwardSplat` for the ONNX reference evaluator."""

    op_domain = "vfi"

    def _run(self, img, flow, metric, accumulator, mode=None, plugin_namespace=None, plugin_version=None):
        mode = mode.decode() if isinstance(mode, bytes) else mode
        return (forward_splat_accumulate_numpy(img, flow, metric, accumulator, mode),)
