"""Reference semantics of deformable separable convolution, in plain PyTorch (float64-capable).

`dsep_conv_reference` is the semantic definition that every other facet is compared with (in
float64). It is built from built-in ops only (clamp, floor, gather), one tap at a time, so it is
also the CPU path of the public function and of the torch op, the portable ONNX lowering (traced
into Clip/Floor/GatherElements), and the "straightforward PyTorch" baseline of the benchmark.
Its bilinear border sampling is `backward_warp`'s (same helpers), so both ops clamp identically.
"""

from __future__ import annotations

import torch

from vfi.kernels.backward_warp.reference import bilinear_taps, gather


def check_inputs(img, v, h, alpha, beta, mask) -> None:
    """Raise `vfi.core.errors.InputError` unless img is [N,C,H,W], v and h are [N,K,H,W] with K odd,
    and alpha, beta, mask are [N,K*K,H,W]."""
    from vfi.core.errors import InputError

    tensors = {"img": img, "v": v, "h": h, "alpha": alpha, "beta": beta, "mask": mask}
    for name, t in tensors.items():
        if t.dim() != 4:
            raise InputError(f"dsep_conv wants 4-D tensors, got {name} of shape {tuple(t.shape)}", name)
    n, _, hh, ww = img.shape
    k = v.shape[1]
    if k % 2 != 1:
        raise InputError(f"dsep_conv: kernel size K = v.shape[1] must be odd, got {k}", "v")
    want = {"v": (n, k, hh, ww), "h": (n, k, hh, ww), "alpha": (n, k * k, hh, ww), "beta": (n, k * k, hh, ww)}
    want["mask"] = want["alpha"]
    for name, shape in want.items():
        if tuple(tensors[name].shape) != shape:
            raise InputError(
                f"dsep_conv: {name} must be [{','.join(map(str, shape))}] for img {tuple(img.shape)} and K={k}, "
                f"got {tuple(tensors[name].shape)}",
                name,
            )


def compute_dtype(img: torch.Tensor) -> torch.dtype:
    """fp32 arithmetic (coordinates, weights, sums) for fp32/fp16/bf16 images; float64 for float64."""
    return torch.float64 if img.dtype == torch.float64 else torch.float32


def tap_offset(offset: torch.Tensor) -> torch.Tensor:
    """Offset map with NaN replaced by 0 (that tap samples its undisplaced position); +-inf is kept
    and clamped to the border by the sampler."""
    return torch.where(torch.isnan(offset), torch.zeros_like(offset), offset)


def sample_border(data: torch.Tensor, py: torch.Tensor, px: torch.Tensor) -> torch.Tensor:
    """Bilinear sample of data [N,C,H,W] (compute dtype) at positions py, px [N,...], clamped to
    the frame (grid_sample border, align_corners=True); returns [N,C,...]. Differentiable w.r.t.
    data and positions (zero w.r.t. a position where its clamp is active)."""
    _, _, hh, ww = data.shape
    sx = px.clamp(0, ww - 1)
    sy = py.clamp(0, hh - 1)
    x0, x1, y0, y1, wx, wy = bilinear_taps(sx, sy, hh, ww)
    wx = wx.unsqueeze(1)
    wy = wy.unsqueeze(1)
    return (gather(data, y0, x0) * (1 - wx) + gather(data, y0, x1) * wx) * (1 - wy) + (
        gather(data, y1, x0) * (1 - wx) + gather(data, y1, x1) * wx
    ) * wy


def dsep_conv_reference(img, v, h, alpha, beta, mask) -> torch.Tensor:
    """Semantic definition of dsep_conv (see the package docstring). Output [N,C,H,W] in img's dtype.

    Arithmetic in float64 when img is float64, else fp32 (positions, bilinear weights, sums).
    Differentiable w.r.t. all six inputs. One kernel row (K taps) at a time: K iterations keep the
    traced ONNX graph small, and the temporaries are [N,C,K,H,W] (not K*K planes per channel).
    """
    check_inputs(img, v, h, alpha, beta, mask)
    _, _, hh, ww = img.shape
    k = v.shape[1]
    r = (k - 1) // 2
    cdt = compute_dtype(img)
    data = img.to(cdt)
    v, h, mask = v.to(cdt), h.to(cdt), mask.to(cdt)
    alpha, beta = tap_offset(alpha.to(cdt)), tap_offset(beta.to(cdt))
    ys = torch.arange(hh, device=img.device, dtype=cdt).view(1, 1, hh, 1)
    # x + j - c for the K taps j of a row: [1, K, 1, W]
    xs = (torch.arange(ww, device=img.device, dtype=cdt).view(1, 1, 1, ww) - r) + torch.arange(
        k, device=img.device, dtype=cdt
    ).view(1, k, 1, 1)
    out = None
    for i in range(k):
        row = slice(i * k, (i + 1) * k)
        py = (ys + (i - r)) + alpha[:, row]
        px = xs + beta[:, row]
        weight = (v[:, i : i + 1] * h * mask[:, row]).unsqueeze(1)
        term = (sample_border(data, py, px) * weight).sum(2)
        out = term if out is None else out + term
    return out.to(img.dtype)
