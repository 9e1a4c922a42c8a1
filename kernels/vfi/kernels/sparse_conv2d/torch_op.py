"""`torch.ops.vfi.sparse_conv2d`: the op for eager, autograd, torch.compile and export.

Kernels: CPU (any float dtype) gathers the receptive fields of the active outputs and runs one
matmul (`reference.cpu_gather_conv`), so the cost scales with the active fraction; CUDA float32 /
float16 compacts the mask with `nonzero` and runs the Triton implicit-GEMM kernel over the active
outputs only.

Training uses the dense masked form: the backward differentiates `where(mask, conv2d(x, w, b),
fallback)` with the dense conv's gradients (grad_out masked to the active outputs; fallback gets the
inactive part). That costs a dense conv backward, but the mask is the output of a data-dependent
decision and pruning is an inference-time saving; gradients are exact.
"""

from __future__ import annotations

from typing import Optional

import torch

from vfi.kernels.sparse_conv2d.reference import _pair, cpu_gather_conv, output_size, sparse_conv2d_reference


@torch.library.custom_op("vfi::sparse_conv2d", mutates_args=())
def _sparse_conv2d(
    x: torch.Tensor,
    mask: torch.Tensor,
    weight: torch.Tensor,
    bias: Optional[torch.Tensor],
    fallback: Optional[torch.Tensor],
    stride: list[int],
    padding: list[int],
    dilation: list[int],
) -> torch.Tensor:
    return cpu_gather_conv(x, mask, weight, bias, fallback, stride, padding, dilation)


@_sparse_conv2d.register_kernel("cuda")
def _sparse_conv2d_cuda(x, mask, weight, bias, fallback, stride, padding, dilation):
    if x.dtype in (torch.float32, torch.float16):
        from vfi.kernels.sparse_conv2d.triton_kernel import sparse_conv2d_triton

        return sparse_conv2d_triton(x, mask, weight, bias, fallback, stride, padding, dilation)
    return cpu_gather_conv(x, mask, weight, bias, fallback, stride, padding, dilation)


@_sparse_conv2d.register_fake
def _sparse_conv2d_fake(x, mask, weight, bias, fallback, stride, padding, dilation):
    torch._check(x.dim() == 4 and weight.dim() == 4 and mask.dim() == 4, lambda: "sparse_conv2d wants 4-D tensors")
    n, _, h, w = x.shape
    ho, wo = output_size((h, w), weight.shape[2:], _pair(stride), _pair(padding), _pair(dilation))
    return x.new_empty((n, weight.shape[0], ho, wo))


def _setup_context(ctx, inputs, output):
    x, mask, weight, bias, fallback, stride, padding, dilation = inputs
    ctx.save_for_backward(x, mask, weight, bias, fallback)
    ctx.geometry = (stride, padding, dilation)


def _backward(ctx, grad_out):
    x, mask, weight, bias, fallback = ctx.saved_tensors
    wanted = {0: x, 2: weight, 3: bias, 4: fallback}
    wanted = {i: t for i, t in wanted.items() if t is not None and ctx.needs_input_grad[i]}
    result = [None] * 8
    if not wanted:
        return tuple(result)
    with torch.enable_grad():
        leaves = [
            t.detach().requires_grad_(i in wanted) if t is not None and i != 1 else t
            for i, t in enumerate((x, mask, weight, bias, fallback))
        ]
        out = sparse_conv2d_reference(*leaves, *ctx.geometry)  # the dense masked form
        grads = torch.autograd.grad(out, [leaves[i] for i in wanted], grad_out, allow_unused=True)
    for i, g in zip(wanted, grads):
        result[i] = g if g is not None else torch.zeros_like(wanted[i])
    return tuple(result)


_sparse_conv2d.register_autograd(_backward, setup_context=_setup_context)

from vfi.kernels.sparse_conv2d import flops as _flops  # noqa: E402

_flops.register()


def sparse_conv2d_op(x, mask, weight, bias=None, fallback=None, stride=1, padding=0, dilation=1):
    """Call `torch.ops.vfi.sparse_conv2d` (int or pair geometry accepted)."""
    return torch.ops.vfi.sparse_conv2d(
        x, mask, weight, bias, fallback, list(_pair(stride)), list(_pair(padding)), list(_pair(dilation))
    )
