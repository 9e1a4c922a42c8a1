"""Modulated deformable convolution (DCNv2) with the semantics and offset layout of ONNX `DeformConv`.

`deform_conv2d(x, offset, mask, weight, bias, ...)[n, o, oy, ox]` = bias[o] + sum over input channels
c of o's group and kernel taps (ky, kx) of weight[o, c, ky, kx] * mask * bilinear(x[n, c], py, px),
with py = oy*stride - pad + ky*dil + dy and px likewise; (dy, dx) are the offset channels
2*(g*KH*KW + tap) and 2*(g*KH*KW + tap) + 1 (y before x) of offset group g = c // (Cin/offset_groups).
Corners outside the image contribute 0. `mask=None` means all ones.

Facets (one file each): `reference`, `triton_kernel`, `torch_op`, `onnx_lowering`, `onnx_executor`,
`trt_plugin`, `ptx`, `flops`, `bench`; the registry entry is in `vfi.kernels.registry`.
"""

from __future__ import annotations


def deform_conv2d(x, offset, mask, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, offset_groups=1):
    """Modulated deformable convolution.

    Args:
        x: [N, Cin, H, W] float.
        offset: [N, 2 * offset_groups * KH * KW, Ho, Wo], pixels, (y, x) per kernel tap.
        mask: [N, offset_groups * KH * KW, Ho, Wo] modulation scalars, or None (all ones).
        weight: [Cout, Cin / groups, KH, KW]; bias: [Cout] or None.
        stride, padding (symmetric), dilation: int or (h, w).
        groups: convolution groups; offset_groups: channel groups that share one offset field.
    Returns:
        [N, Cout, Ho, Wo] in x's dtype.

    Dispatch: inside `torch.onnx.export` the lowering chosen by `vfi.kernels.export_flavour`
    (`vfi::VfiDeformConv2d` for TensorRT, `DeformConv` opset 19 for portable graphs); otherwise
    `torch.ops.vfi.deform_conv2d` (Triton on CUDA, vectorised PyTorch on CPU; autograd supported).
    """
    import torch

    if torch.onnx.is_in_onnx_export():
        from vfi.kernels.deform_conv2d import onnx_lowering
        from vfi.kernels.export_flavour import current_flavour

        lower = onnx_lowering.lower_tensorrt if current_flavour() == "tensorrt" else onnx_lowering.lower_portable
        return lower(x, offset, mask, weight, bias, stride, padding, dilation, groups, offset_groups)
    from vfi.kernels.deform_conv2d.torch_op import deform_conv2d_op

    return deform_conv2d_op(x, offset, mask, weight, bias, stride, padding, dilation, groups, offset_groups)


__all__ = ["deform_conv2d"]
