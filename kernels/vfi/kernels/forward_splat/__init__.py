"""Forward splatting: push every source pixel along its flow and spread it bilinearly.

Contract (ARCHITECTURE.md conventions: flow in pixels, channel 0 = x, channel 1 = y):
  * img [N,C,H,W], flow [N,2,H,W], metric [N,1,H,W] (may be None for "sum" and "avg").
  * Source pixel p = (x, y) goes to target q = p + flow(p) and is spread to the four integer
    neighbours u of q with bilinear weights w(p, u) = (1 - |q.x - u.x|) (1 - |q.y - u.y|).
    Neighbours outside the frame are dropped (only those; the in-frame neighbours keep their
    share). A source pixel with non-finite flow contributes nothing.
  * mode "sum": out(u) = sum_p w(p, u) img(p); metric ignored.
  * modes "avg", "linear", "soft": each contribution is also weighted by m(p) = 1, metric(p),
    exp(metric(p)) and the result is normalised: out(u) = sum_p w m img(p) / sum_p w m. Where the
    summed weight is exactly 0 the output is 0 (safe where-division, no eps).
  * "soft" is softmax splatting (Niklaus & Liu, CVPR 2020). The per-image (per n) maximum of the
    metric over the contributing pixels is subtracted before exp; it cancels in the normalisation
    and keeps metrics of 1000 finite. The price of one shift per image: a contribution whose metric
    lies more than ~87 (fp32; ~708 in float64) below the image's maximum underflows to weight 0, so
    a target reached only by such pixels reads 0.
  * Arithmetic (coordinates, weights, sums) in fp32 for fp32/fp16/bf16 inputs, float64 for float64
    inputs; the output has img's dtype.
  * Differentiable w.r.t. img, flow (through the bilinear weights; the integer neighbour choice is
    piecewise constant) and metric.

TensorRT: the plugin is one AOT kernel (QDP plugins launch exactly one and get no workspace) that
adds in place into a zero accumulator the graph provides; the graph normalises with standard ops
(see `onnx_lowering`).

Facets of the op (one file each): `reference`, `triton_kernel`, `torch_op`, `onnx_lowering`,
`onnx_executor`, `trt_plugin`, `ptx`, `flops`, `bench`; the registry entry is in
`vfi.kernels.registry`.
"""

from __future__ import annotations


def forward_splat(img, flow, metric=None, mode: str = "sum"):
    """Splat `img` [N,C,H,W] forward by `flow` [N,2,H,W] (pixels). Returns [N,C,H,W] in img's dtype.

    Args:
        img: source image(s) or features.
        flow: per-pixel displacement from source to target, channel 0 = x, 1 = y, in pixels.
        metric: [N,1,H,W] importance for "linear" and "soft" (ignored by "sum" and "avg").
        mode: "sum", "avg", "linear" or "soft" (softmax splatting); see the package docstring.

    Raises `vfi.core.errors.InputError` for an unknown mode, wrong shapes or a missing metric.

    Dispatch (same meaning everywhere):
      * inside `torch.onnx.export`: the lowering chosen by `vfi.kernels.export_flavour` (one
        `vfi::VfiForwardSplat` node for TensorRT, or standard `ScatterElements(reduction="add")`
        for portable graphs);
      * CUDA tensors: `torch.ops.vfi.forward_splat` (Triton atomics kernel, autograd supported);
      * CPU tensors: the `scatter_add` composition, called directly so that CPU graphs captured by
        `torch.export` / AOTInductor hold only built-in ops (the torch op's CPU kernel is the same
        composition, so the numbers are identical).
    """
    import torch

    from vfi.kernels.forward_splat.reference import check_inputs

    check_inputs(img, flow, metric, mode)
    if torch.onnx.is_in_onnx_export():
        from vfi.kernels.export_flavour import current_flavour
        from vfi.kernels.forward_splat import onnx_lowering

        if current_flavour() == "tensorrt":
            return onnx_lowering.lower_tensorrt(img, flow, metric, mode)
        return onnx_lowering.lower_portable(img, flow, metric, mode)
    if img.is_cuda:
        from vfi.kernels.forward_splat import torch_op

        return torch_op.forward_splat_op(img, flow, metric, mode)
    from vfi.kernels.forward_splat.reference import forward_splat_reference

    return forward_splat_reference(img, flow, metric, mode)


__all__ = ["forward_splat"]
