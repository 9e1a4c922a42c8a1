"""Spatially sparse convolution for uncertainty-guided pruning: compute only where the mask is set.

`sparse_conv2d(x, mask, weight, bias, fallback, ...)` = `where(mask, conv2d(x, weight, bias),
fallback or 0)`, computed for the active outputs only, so the cost scales with the active fraction.

Facets (one file each): `reference`, `triton_kernel`, `torch_op`, `onnx_lowering`, `onnx_executor`,
`trt_plugin`, `ptx`, `flops`, `bench`; the registry entry is in `vfi.kernels.registry`.
"""

from __future__ import annotations


def sparse_conv2d(x, mask, weight, bias=None, fallback=None, stride=1, padding=0, dilation=1):
    """Masked convolution.

    Args:
        x: [N, Cin, H, W] float.
        mask: [N, 1, Ho, Wo] bool, True where the convolution is computed.
        weight: [Cout, Cin, KH, KW] (no groups); bias: [Cout] or None.
        fallback: [N, Cout, Ho, Wo] used where mask is False, or None (zeros).
        stride, padding (symmetric, zeros), dilation: int or (h, w).
    Returns:
        [N, Cout, Ho, Wo] in x's dtype.

    Dispatch: inside `torch.onnx.export` the lowering chosen by `vfi.kernels.export_flavour`
    (`vfi::VfiSparseConv2d` for TensorRT, `Conv` + `Where` for portable graphs); otherwise
    `torch.ops.vfi.sparse_conv2d` (Triton on CUDA, gather + matmul on CPU). Autograd uses the dense
    masked form (see `torch_op`).
    """
    import torch

    if torch.onnx.is_in_onnx_export():
        from vfi.kernels.export_flavour import current_flavour
        from vfi.kernels.sparse_conv2d import onnx_lowering

        lower = onnx_lowering.lower_tensorrt if current_flavour() == "tensorrt" else onnx_lowering.lower_portable
        return lower(x, mask, weight, bias, fallback, stride, padding, dilation)
    from vfi.kernels.sparse_conv2d.torch_op import sparse_conv2d_op

    return sparse_conv2d_op(x, mask, weight, bias, fallback, stride, padding, dilation)


__all__ = ["sparse_conv2d"]
