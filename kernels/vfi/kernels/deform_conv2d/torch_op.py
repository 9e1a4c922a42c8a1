"""`torch.ops.vfi.deform_conv2d`: the op for eager, autograd, torch.compile and export.

Kernels: CUDA float32/float16 runs the Triton gather + GEMM kernel; every other case (CPU, float64,
bf16) runs the vectorised PyTorch reference. `register_fake` gives shape and dtype to the tracers.

Autograd (x, offset, mask, weight, bias): the backward recomputes the forward with the PyTorch
reference under autograd and differentiates it (no dedicated backward kernel yet). That is exact
except at sample positions with an integer coordinate, where bilinear interpolation has a kink (the
one-sided derivative of `floor` is taken, as in torchvision). Memory of the backward: the column
tensor [N, Cin * KH * KW, Ho * Wo], as an im2col implementation needs.
"""

from __future__ import annotations

from typing import Optional

import torch

from vfi.kernels.deform_conv2d.reference import _pair, deform_conv2d_reference, output_size


@torch.library.custom_op("vfi::deform_conv2d", mutates_args=())
def _deform_conv2d(
    x: torch.Tensor,
    offset: torch.Tensor,
    mask: Optional[torch.Tensor],
    weight: torch.Tensor,
    bias: Optional[torch.Tensor],
    stride: list[int],
    padding: list[int],
    dilation: list[int],
    groups: int,
    offset_groups: int,
) -> torch.Tensor:
    return deform_conv2d_reference(x, offset, mask, weight, bias, stride, padding, dilation, groups, offset_groups)


@_deform_conv2d.register_kernel("cuda")
def _deform_conv2d_cuda(x, offset, mask, weight, bias, stride, padding, dilation, groups, offset_groups):
    if x.dtype in (torch.float32, torch.float16):
        from vfi.kernels.deform_conv2d.triton_kernel import deform_conv2d_triton

        return deform_conv2d_triton(x, offset, mask, weight, bias, stride, padding, dilation, groups, offset_groups)
    return deform_conv2d_reference(x, offset, mask, weight, bias, stride, padding, dilation, groups, offset_groups)


@_deform_conv2d.register_fake
def _deform_conv2d_fake(x, offset, mask, weight, bias, stride, padding, dilation, groups, offset_groups):
    torch._check(x.dim() == 4 and weight.dim() == 4 and offset.dim() == 4, lambda: "deform_conv2d wants 4-D tensors")
    n, _, h, w = x.shape
    ho, wo = output_size((h, w), weight.shape[2:], _pair(stride), _pair(padding), _pair(dilation))
    return x.new_empty((n, weight.shape[0], ho, wo))


def _setup_context(ctx, inputs, output):
    x, offset, mask, weight, bias, stride, padding, dilation, groups, offset_groups = inputs
    ctx.save_for_backward(x, offset, mask, weight, bias)
    ctx.geometry = (stride, padding, dilation, groups, offset_groups)


def _backward(ctx, grad_out):
    tensors = list(ctx.saved_tensors)
    wanted = [i for i, t in enumerate(tensors) if t is not None and ctx.needs_input_grad[i]]
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_(i in wanted) if t is not None else None for i, t in enumerate(tensors)]
        out = deform_conv2d_reference(*leaves, *ctx.geometry)
        grads = torch.autograd.grad(out, [leaves[i] for i in wanted], grad_out, allow_unused=True)
    result = [None] * 10
    for i, g in zip(wanted, grads):
        result[i] = g if g is not None else torch.zeros_like(tensors[i])
    return tuple(result)


_deform_conv2d.register_autograd(_backward, setup_context=_setup_context)

from vfi.kernels.deform_conv2d import flops as _flops  # noqa: E402

_flops.register()


def deform_conv2d_op(x, offset, mask, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, offset_groups=1):
    """Call `torch.ops.vfi.deform_conv2d` (int or pair geometry accepted)."""
    return torch.ops.vfi.deform_conv2d(
        x,
        offset,
        mask,
        weight,
        bias,
        list(_pair(stride)),
        list(_pair(padding)),
        list(_pair(dilation)),
        int(groups),
        int(offset_groups),
    )
