"""`torch.ops.vfi.backward_warp(img, flow)`: the op for eager, autograd, torch.compile and export.

Kernels: CUDA runs the fused Triton kernel; every other device runs the `grid_sample`
composition (identical numbers to the research code). `register_fake` gives the output's shape
and dtype to the tracers. Autograd: explicit bilinear backward for img and flow (the gradient
w.r.t. flow is zero where the sample position is clamped, as for grid_sample's border mode).
The FLOP formula is registered with `torch.utils.flop_counter` when this module is imported.
"""

from __future__ import annotations

import torch

from vfi.kernels.backward_warp.reference import (
    backward_warp_grid_sample,
    bilinear_taps,
    check_shapes,
    gather,
    sample_positions,
)


@torch.library.custom_op("vfi::backward_warp", mutates_args=())
def _backward_warp(img: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    check_shapes(img, flow)
    return backward_warp_grid_sample(img, flow)


@_backward_warp.register_kernel("cuda")
def _backward_warp_cuda(img: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    if img.dtype in (torch.float32, torch.float16) and flow.dtype in (torch.float32, torch.float16):
        from vfi.kernels.backward_warp.triton_kernel import backward_warp_triton

        return backward_warp_triton(img, flow)
    check_shapes(img, flow)
    return backward_warp_grid_sample(img, flow)  # float64 / bf16: the composition


@_backward_warp.register_fake
def _backward_warp_fake(img: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    torch._check(img.dim() == 4 and flow.dim() == 4, lambda: "backward_warp wants 4-D img and flow")
    torch._check(flow.shape[1] == 2, lambda: "backward_warp: flow must have 2 channels")
    return img.new_empty(img.shape)


def backward_warp_grads(img: torch.Tensor, flow: torch.Tensor, grad_out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(grad_img, grad_flow) of backward_warp at (img, flow) for the output gradient `grad_out`."""
    n, c, h, w = img.shape
    sx, sy, inside_x, inside_y = sample_positions(flow, h, w)
    x0, x1, y0, y1, wx, wy = bilinear_taps(sx, sy, h, w)
    cdt = sx.dtype
    g = grad_out.to(cdt)
    wx_, wy_ = wx.unsqueeze(1), wy.unsqueeze(1)

    grad_img = torch.zeros(n, c, h * w, dtype=cdt, device=img.device)
    for yi, xi, weight in (
        (y0, x0, (1 - wx_) * (1 - wy_)),
        (y0, x1, wx_ * (1 - wy_)),
        (y1, x0, (1 - wx_) * wy_),
        (y1, x1, wx_ * wy_),
    ):
        index = (yi * w + xi).view(n, 1, -1).expand(n, c, -1)
        grad_img.scatter_add_(2, index, (g * weight).reshape(n, c, -1))

    data = img.to(cdt)
    v00, v01 = gather(data, y0, x0), gather(data, y0, x1)
    v10, v11 = gather(data, y1, x0), gather(data, y1, x1)
    d_sx = ((1 - wy_) * (v01 - v00) + wy_ * (v11 - v10)) * g
    d_sy = ((1 - wx_) * (v10 - v00) + wx_ * (v11 - v01)) * g
    grad_fx = d_sx.sum(1) * inside_x.to(cdt)
    grad_fy = d_sy.sum(1) * inside_y.to(cdt)
    grad_flow = torch.stack((grad_fx, grad_fy), dim=1)
    return grad_img.view(n, c, h, w).to(img.dtype), grad_flow.to(flow.dtype)


def _setup_context(ctx, inputs, output):
    img, flow = inputs
    ctx.save_for_backward(img, flow)


def _backward(ctx, grad_out):
    img, flow = ctx.saved_tensors
    grad_img, grad_flow = backward_warp_grads(img, flow, grad_out)
    return (grad_img if ctx.needs_input_grad[0] else None, grad_flow if ctx.needs_input_grad[1] else None)


_backward_warp.register_autograd(_backward, setup_context=_setup_context)

# The FLOP formula lives in its own facet file; importing it registers it for this op.
from vfi.kernels.backward_warp import flops as _flops  # noqa: E402

_flops.register()


def backward_warp_op(img: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Call `torch.ops.vfi.backward_warp` (registers the op on first import of this module)."""
    return torch.ops.vfi.backward_warp(img, flow)
