"""`torch.ops.vfi.forward_splat(img, flow, metric, mode)`: the op for eager, autograd, torch.compile
and export.

Kernels: CUDA runs the Triton atomic splat + normalise kernels for fp32/fp16 data (flow in img's
dtype); every other device and dtype runs the `scatter_add` composition of `reference.py`.
`register_fake` gives the output's shape and dtype to the tracers. Autograd w.r.t. img, flow and
metric: the backward recomputes the composition under autograd (one extra forward; exact for
the piecewise-bilinear function, the integer neighbour choice being locally constant). The FLOP
formula is registered with `torch.utils.flop_counter` when this module is imported.
"""

from __future__ import annotations

import torch

from vfi.kernels.forward_splat.reference import check_inputs, forward_splat_reference


@torch.library.custom_op("vfi::forward_splat", mutates_args=())
def _forward_splat(img: torch.Tensor, flow: torch.Tensor, metric: torch.Tensor | None, mode: str) -> torch.Tensor:
    return forward_splat_reference(img, flow, metric, mode)


@_forward_splat.register_kernel("cuda")
def _forward_splat_cuda(img: torch.Tensor, flow: torch.Tensor, metric: torch.Tensor | None, mode: str) -> torch.Tensor:
    if img.dtype in (torch.float32, torch.float16) and flow.dtype == img.dtype:
        from vfi.kernels.forward_splat.triton_kernel import forward_splat_triton

        return forward_splat_triton(img, flow, metric, mode)
    return forward_splat_reference(img, flow, metric, mode)  # float64 / bf16 / mixed: the composition


@_forward_splat.register_fake
def _forward_splat_fake(img: torch.Tensor, flow: torch.Tensor, metric: torch.Tensor | None, mode: str) -> torch.Tensor:
    torch._check(img.dim() == 4 and flow.dim() == 4, lambda: "forward_splat wants 4-D img and flow")
    torch._check(flow.shape[1] == 2, lambda: "forward_splat: flow must have 2 channels")
    return img.new_empty(img.shape)


def forward_splat_grads(img, flow, metric, mode: str, grad_out: torch.Tensor):
    """(grad_img, grad_flow, grad_metric) of forward_splat at the inputs for `grad_out`.

    grad_metric is None when metric is None or unused ("sum", "avg").
    """
    with torch.enable_grad():
        inputs = [img.detach().requires_grad_(True), flow.detach().requires_grad_(True)]
        uses_metric = metric is not None and mode in ("linear", "soft")
        if uses_metric:
            inputs.append(metric.detach().requires_grad_(True))
        out = forward_splat_reference(inputs[0], inputs[1], inputs[2] if uses_metric else metric, mode)
        grads = torch.autograd.grad(out, inputs, grad_out, allow_unused=True)
    grad_img, grad_flow = (g if g is not None else torch.zeros_like(x) for g, x in zip(grads[:2], inputs[:2]))
    grad_metric = None
    if uses_metric:
        grad_metric = grads[2] if grads[2] is not None else torch.zeros_like(metric)
    return grad_img, grad_flow, grad_metric


def _setup_context(ctx, inputs, output):
    img, flow, metric, mode = inputs
    ctx.mode = mode
    ctx.has_metric = metric is not None
    ctx.save_for_backward(img, flow, metric if metric is not None else img.new_empty(0))


def _backward(ctx, grad_out):
    img, flow, metric = ctx.saved_tensors
    metric = metric if ctx.has_metric else None
    grad_img, grad_flow, grad_metric = forward_splat_grads(img, flow, metric, ctx.mode, grad_out)
    need = ctx.needs_input_grad
    return (grad_img if need[0] else None, grad_flow if need[1] else None, grad_metric if need[2] else None, None)


_forward_splat.register_autograd(_backward, setup_context=_setup_context)

# The FLOP formula lives in its own facet file; importing it registers it for this op.
from vfi.kernels.forward_splat import flops as _flops  # noqa: E402

_flops.register()


def forward_splat_op(
    img: torch.Tensor, flow: torch.Tensor, metric: torch.Tensor | None = None, mode: str = "sum"
) -> torch.Tensor:
    """Call `torch.ops.vfi.forward_splat` (registers the op on first import of this module).

    Validates mode and shapes first (`InputError`), so a bad call fails with one clear line.
    """
    check_inputs(img, flow, metric, mode)
    return torch.ops.vfi.forward_splat(img, flow, metric, mode)
