"""Reference semantics of backward warping, in plain PyTorch (float64-capable).

Two formulations of the same function:
  * `backward_warp_reference`: explicit clamp + floor + four-tap gather, in pixel coordinates.
    It is the semantic definition that every other facet is compared with (in float64).
  * `backward_warp_grid_sample`: the composition the research code uses (normalised grid +
    `F.grid_sample(align_corners=True, padding_mode="border")`). It is the CPU path of the public
    function and of the torch op, and the "straightforward PyTorch" baseline of the benchmark.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def check_shapes(img: torch.Tensor, flow: torch.Tensor) -> None:
    """Raise `vfi.core.errors.InputError` unless img is [N,C,H,W] and flow is [N,2,H,W]."""
    from vfi.core.errors import InputError

    if img.dim() != 4 or flow.dim() != 4:
        raise InputError(f"backward_warp wants 4-D img and flow, got {tuple(img.shape)} and {tuple(flow.shape)}")
    n, _, h, w = img.shape
    if tuple(flow.shape) != (n, 2, h, w):
        raise InputError(f"backward_warp: flow must be [{n},2,{h},{w}] for img {tuple(img.shape)}, got {tuple(flow.shape)}")


def _coord_dtype(flow: torch.Tensor) -> torch.dtype:
    # fp32 coordinates for fp32/fp16/bf16 data; float64 only when the caller asks for it.
    return torch.float64 if flow.dtype == torch.float64 else torch.float32


def sample_positions(flow: torch.Tensor, h: int, w: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Clamped sample positions (sx, sy) [N,H,W] and the masks where the clamp is inactive."""
    cdt = _coord_dtype(flow)
    flow = flow.to(cdt)
    xs = torch.arange(w, device=flow.device, dtype=cdt).view(1, 1, w)
    ys = torch.arange(h, device=flow.device, dtype=cdt).view(1, h, 1)
    px = xs + flow[:, 0]
    py = ys + flow[:, 1]
    inside_x = (px >= 0) & (px <= w - 1)
    inside_y = (py >= 0) & (py <= h - 1)
    # NaN flow samples pixel (x, y) itself instead of reading out of bounds.
    px = torch.nan_to_num(px, nan=0.0)
    py = torch.nan_to_num(py, nan=0.0)
    return px.clamp(0, w - 1), py.clamp(0, h - 1), inside_x, inside_y


def bilinear_taps(sx: torch.Tensor, sy: torch.Tensor, h: int, w: int):
    """Integer corners (x0, x1, y0, y1) and fractional weights (wx, wy) of clamped positions."""
    x0f = sx.floor()
    y0f = sy.floor()
    wx = sx - x0f
    wy = sy - y0f
    x0 = x0f.long()
    y0 = y0f.long()
    x1 = (x0 + 1).clamp(max=w - 1)
    y1 = (y0 + 1).clamp(max=h - 1)
    return x0, x1, y0, y1, wx, wy


def gather(img: torch.Tensor, yi: torch.Tensor, xi: torch.Tensor) -> torch.Tensor:
    """img[n, c, yi[n], xi[n]] for index maps yi, xi of shape [N,H,W]; returns [N,C,H,W]."""
    n, c, h, w = img.shape
    index = (yi * w + xi).view(n, 1, -1).expand(n, c, -1)
    return img.reshape(n, c, h * w).gather(2, index).view(n, c, *yi.shape[1:])


def backward_warp_reference(img: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Semantic definition: bilinear sample of img at clamped (x + fx, y + fy). Output in img's dtype.

    Arithmetic is in float64 when flow is float64, else fp32 (coordinates and blending).
    """
    check_shapes(img, flow)
    _, _, h, w = img.shape
    sx, sy, _, _ = sample_positions(flow, h, w)
    x0, x1, y0, y1, wx, wy = bilinear_taps(sx, sy, h, w)
    data = img.to(sx.dtype)
    wx = wx.unsqueeze(1)
    wy = wy.unsqueeze(1)
    out = (
        gather(data, y0, x0) * ((1 - wx) * (1 - wy))
        + gather(data, y0, x1) * (wx * (1 - wy))
        + gather(data, y1, x0) * ((1 - wx) * wy)
        + gather(data, y1, x1) * (wx * wy)
    )
    return out.to(img.dtype)


def normalised_grid(flow: torch.Tensor) -> torch.Tensor:
    """The [N,H,W,2] grid in [-1, 1] (align_corners=True) that `F.grid_sample` wants."""
    _, _, h, w = flow.shape
    cdt = _coord_dtype(flow)
    flow = flow.to(cdt)
    xs = torch.arange(w, device=flow.device, dtype=cdt).view(1, 1, w)
    ys = torch.arange(h, device=flow.device, dtype=cdt).view(1, h, 1)
    # Normalise to [-1, 1] with align_corners=True: pixel 0 -> -1, pixel W-1 -> +1.
    gx = (xs + flow[:, 0]) * (2.0 / max(w - 1, 1)) - 1.0
    gy = (ys + flow[:, 1]) * (2.0 / max(h - 1, 1)) - 1.0
    return torch.stack((gx, gy), dim=-1)


def backward_warp_grid_sample(img: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """The research-code composition: normalised grid + grid_sample(border, align_corners=True)."""
    grid = normalised_grid(flow)
    out = F.grid_sample(img.to(grid.dtype), grid, mode="bilinear", padding_mode="border", align_corners=True)
    return out.to(img.dtype)
