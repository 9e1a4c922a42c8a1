"""`torch.ops.vfi.dsep_conv(img, v, h, alpha, beta, mask)`: the op for eager, autograd,
torch.compile and export, and `dsep_conv`, the public function models call.

Kernels: CUDA runs the Triton kernel for fp32/fp16 images (offsets, v, h, mask of any float dtype;
positions and weights in fp32); every other device and dtype runs the gather composition of
`reference.py`. `register_fake` gives the output's shape and dtype to the tracers. Autograd
w.r.t. all six inputs: the backward recomputes the composition under autograd (one extra
forward; exact for the piecewise-bilinear function, except at integer sample coordinates where
the one-sided derivative of floor is taken, as in grid_sample). The FLOP formula is registered
with `torch.utils.flop_counter` when this module is imported.
"""

from __future__ import annotations

import torch

from vfi.kernels.dsep_conv import dsep_conv
from vfi.kernels.dsep_conv.reference import check_inputs, dsep_conv_reference

_INPUTS = ("img", "v", "h", "alpha", "beta", "mask")


@torch.library.custom_op("vfi::dsep_conv", mutates_args=())
def _dsep_conv(
    img: torch.Tensor, v: torch.Tensor, h: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    return dsep_conv_reference(img, v, h, alpha, beta, mask)


@_dsep_conv.register_kernel("cuda")
def _dsep_conv_cuda(img, v, h, alpha, beta, mask) -> torch.Tensor:
    if img.dtype in (torch.float32, torch.float16):
        from vfi.kernels.dsep_conv.triton_kernel import dsep_conv_triton

        return dsep_conv_triton(img, v, h, alpha, beta, mask)
    return dsep_conv_reference(img, v, h, alpha, beta, mask)  # float64 / bf16: the composition


@_dsep_conv.register_fake
def _dsep_conv_fake(img, v, h, alpha, beta, mask) -> torch.Tensor:
    torch._check(all(t.dim() == 4 for t in (img, v, h, alpha, beta, mask)), lambda: "dsep_conv wants 4-D tensors")
    torch._check(v.shape[1] % 2 == 1, lambda: "dsep_conv: K = v.shape[1] must be odd")
    torch._check(h.shape[1] == v.shape[1], lambda: "dsep_conv: v and h must have the same K")
    for t in (alpha, beta, mask):
        torch._check(t.shape[1] == v.shape[1] * v.shape[1], lambda: "dsep_conv: alpha, beta, mask need K*K channels")
    return img.new_empty(img.shape)


def dsep_conv_grads(img, v, h, alpha, beta, mask, grad_out: torch.Tensor, needs=(True,) * 6):
    """Gradients of dsep_conv w.r.t. (img, v, h, alpha, beta, mask) for `grad_out` (None where
    `needs` is False)."""
    tensors = (img, v, h, alpha, beta, mask)
    wanted = [i for i, need in enumerate(needs) if need]
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_(i in wanted) for i, t in enumerate(tensors)]
        out = dsep_conv_reference(*leaves)
        grads = torch.autograd.grad(out, [leaves[i] for i in wanted], grad_out, allow_unused=True)
    result = [None] * 6
    for i, g in zip(wanted, grads):
        result[i] = (g if g is not None else torch.zeros_like(tensors[i])).to(tensors[i].dtype)
    return tuple(result)


def _setup_context(ctx, inputs, output):
    ctx.save_for_backward(*inputs)


def _backward(ctx, grad_out):
    return dsep_conv_grads(*ctx.saved_tensors, grad_out, needs=ctx.needs_input_grad)


_dsep_conv.register_autograd(_backward, setup_context=_setup_context)

# The FLOP formula lives in its own facet file; importing it registers it for this op.
from vfi.kernels.dsep_conv import flops as _flops  # noqa: E402

_flops.register()


def dsep_conv_op(img, v, h, alpha, beta, mask) -> torch.Tensor:
    """Call `torch.ops.vfi.dsep_conv` (registers the op on first import of this module).

    Validates shapes first (`InputError`), so a bad call fails with one clear line.
    """
    check_inputs(img, v, h, alpha, beta, mask)
    return torch.ops.vfi.dsep_conv(img, v, h, alpha, beta, mask)


__all__ = ["dsep_conv", "dsep_conv_op", "dsep_conv_grads"]
