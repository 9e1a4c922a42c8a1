"""Reference semantics of forward splatting, in plain PyTorch (float64-capable).

`forward_splat_reference` is the semantic definition that every other facet is compared with (in
float64). It is built from built-in ops only (`scatter_add`), so it is also the CPU path of the
public function and of the torch op, and the "straightforward PyTorch" baseline of the benchmark:
CPU graphs captured by `torch.export` / AOTInductor hold only built-in ops.
"""

from __future__ import annotations

import torch

MODES = ("sum", "avg", "linear", "soft")
"""Splatting modes: contribution weight 1 (no normalisation), 1, metric, exp(metric)."""


def check_inputs(img: torch.Tensor, flow: torch.Tensor, metric: torch.Tensor | None, mode: str) -> None:
    """Raise `vfi.core.errors.InputError` unless mode is known, img is [N,C,H,W], flow is
    [N,2,H,W] and metric is [N,1,H,W] (metric may be None only for "sum" and "avg")."""
    from vfi.core.errors import InputError

    if mode not in MODES:
        raise InputError(f"forward_splat: mode must be one of {', '.join(MODES)}, got {mode!r}", "mode")
    if img.dim() != 4 or flow.dim() != 4:
        raise InputError(f"forward_splat wants 4-D img and flow, got {tuple(img.shape)} and {tuple(flow.shape)}")
    n, _, h, w = img.shape
    if tuple(flow.shape) != (n, 2, h, w):
        raise InputError(f"forward_splat: flow must be [{n},2,{h},{w}] for img {tuple(img.shape)}, got {tuple(flow.shape)}")
    if metric is None:
        if mode in ("linear", "soft"):
            raise InputError(f"forward_splat: mode {mode!r} needs a metric [{n},1,{h},{w}], got None", "metric", "mode")
    elif tuple(metric.shape) != (n, 1, h, w):
        raise InputError(f"forward_splat: metric must be [{n},1,{h},{w}] for img {tuple(img.shape)}, got {tuple(metric.shape)}")


def compute_dtype(img: torch.Tensor) -> torch.dtype:
    """fp32 arithmetic for fp32/fp16/bf16 data; float64 only when the caller asks for it."""
    return torch.float64 if img.dtype == torch.float64 else torch.float32


def splat_weights(metric: torch.Tensor | None, finite: torch.Tensor, mode: str, cdt: torch.dtype) -> torch.Tensor | None:
    """Per-source importance m [N,H,W] of `mode` (None for "sum"/"avg": every weight is 1).

    "soft" subtracts the per-image maximum of the metric over the pixels that contribute (finite
    flow) before `exp`, so metrics of 1000 stay finite; the shift cancels in the normalisation.
    """
    if mode in ("sum", "avg"):
        return None
    m = metric.to(cdt)[:, 0]
    # Pixels with non-finite flow get importance 0 (masked before exp, so a huge metric there
    # cannot make inf * 0 = NaN, in the value or in the gradient).
    if mode == "linear":
        return torch.where(finite, m, torch.zeros_like(m))
    masked = torch.where(finite, m, torch.full_like(m, float("-inf")))
    return torch.exp(masked - soft_shift(masked))


def soft_shift(masked: torch.Tensor) -> torch.Tensor:
    """Per-image maximum [N,1,1] of a metric [N,H,W] that is -inf where the flow is non-finite."""
    shift = masked.detach().amax(dim=(1, 2), keepdim=True)
    # An image whose every flow is non-finite has shift -inf; nothing contributes there anyway.
    return torch.where(torch.isfinite(shift), shift, torch.zeros_like(shift))


def kernel_metric(flow: torch.Tensor, metric: torch.Tensor | None, mode: str) -> torch.Tensor:
    """The fp32 metric the Triton kernel / TensorRT plugin reads: [N,1,H,W] for "linear", the metric
    minus its per-image maximum (over pixels with finite flow) for "soft" (the kernel only
    exponentiates), and a 1-element placeholder for "sum"/"avg" (never read)."""
    if mode in ("sum", "avg"):
        return torch.zeros((1,), dtype=torch.float32, device=flow.device)
    m = metric.to(torch.float32)
    if mode == "linear":
        return m
    finite = (torch.isfinite(flow[:, 0]) & torch.isfinite(flow[:, 1])).unsqueeze(1)
    masked = torch.where(finite, m, torch.full_like(m, float("-inf")))
    return m - soft_shift(masked[:, 0]).unsqueeze(1)


def splat_taps(flow: torch.Tensor, cdt: torch.dtype):
    """The four integer targets of every source pixel and their bilinear weights.

    Returns (finite [N,H,W], taps): `taps` is a list of four (xi, yi, weight) with integer maps xi,
    yi [N,H,W] (possibly outside the frame) and weight (1-|dx|)(1-|dy|) [N,H,W] in `cdt`. Pixels
    with non-finite flow get target (x, y) and weight 0.
    """
    _, _, h, w = flow.shape
    flow = flow.to(cdt)
    xs = torch.arange(w, device=flow.device, dtype=cdt).view(1, 1, w)
    ys = torch.arange(h, device=flow.device, dtype=cdt).view(1, h, 1)
    qx = xs + flow[:, 0]
    qy = ys + flow[:, 1]
    finite = torch.isfinite(qx) & torch.isfinite(qy)
    # Non-finite targets are replaced before floor(): their index would be garbage (and their
    # weight NaN, which would poison the sums and the gradients through where()).
    qx = torch.where(finite, qx, xs.expand_as(qx))
    qy = torch.where(finite, qy, ys.expand_as(qy))
    x0f = qx.floor()
    y0f = qy.floor()
    fx = qx - x0f
    fy = qy - y0f
    x0 = x0f.long()
    y0 = y0f.long()
    live = finite.to(cdt)
    taps = []
    for yi, wy in ((y0, 1 - fy), (y0 + 1, fy)):
        for xi, wx in ((x0, 1 - fx), (x0 + 1, fx)):
            taps.append((xi, yi, wx * wy * live))
    return finite, taps


def splat_accumulate(img: torch.Tensor, flow: torch.Tensor, metric: torch.Tensor | None, mode: str) -> torch.Tensor:
    """Accumulator [N, C+1, H, W] in the compute dtype: channels 0..C-1 hold sum_p w m img(p), channel
    C holds sum_p w m (the layout of the Triton kernel and of the TensorRT node's output)."""
    n, c, h, w = img.shape
    cdt = compute_dtype(img)
    data = img.to(cdt).reshape(n, c, h * w)
    finite, taps = splat_taps(flow, cdt)
    m = splat_weights(metric, finite, mode, cdt)
    num = data.new_zeros(n, c, h * w)
    den = data.new_zeros(n, 1, h * w)
    for xi, yi, wgt in taps:
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        if m is not None:
            wgt = wgt * m
        wgt = torch.where(inside, wgt, torch.zeros_like(wgt)).reshape(n, 1, h * w)
        # Dropped neighbours scatter weight 0 into pixel 0 (a valid index); cheaper than compaction.
        index = torch.where(inside, yi * w + xi, torch.zeros_like(xi)).reshape(n, 1, h * w)
        num = num.scatter_add(2, index.expand(n, c, h * w), data * wgt)
        den = den.scatter_add(2, index, wgt)
    return torch.cat((num, den), dim=1).reshape(n, c + 1, h, w)


def normalise(acc: torch.Tensor, mode: str) -> torch.Tensor:
    """[N,C,H,W] from an accumulator [N, C+1, H, W]: the numerators for "sum", else numerator /
    weight where the weight is not 0 and 0 where it is (a where-division: no eps, no NaN gradient)."""
    num, den = acc[:, :-1], acc[:, -1:]
    if mode == "sum":
        return num
    nonzero = den != 0
    return torch.where(nonzero, num / torch.where(nonzero, den, torch.ones_like(den)), torch.zeros_like(num))


def forward_splat_reference(
    img: torch.Tensor, flow: torch.Tensor, metric: torch.Tensor | None = None, mode: str = "sum"
) -> torch.Tensor:
    """Semantic definition of forward splatting (see the package docstring). Output in img's dtype.

    Arithmetic is in float64 when img is float64, else fp32 (coordinates, weights and sums).
    Differentiable w.r.t. img, flow (through the bilinear weights) and metric.
    """
    check_inputs(img, flow, metric, mode)
    return normalise(splat_accumulate(img, flow, metric, mode), mode).to(img.dtype)
