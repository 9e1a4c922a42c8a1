"""Backward warping: sample an image at positions displaced by a per-pixel flow.

Contract (ARCHITECTURE.md): flow is in pixels, channel 0 = x (horizontal), channel 1 = y.
`backward_warp(img, flow)[n, c, y, x]` = bilinear sample of `img[n, c]` at `(x + fx, y + fy)`,
coordinates clamped to the border. This equals `grid_sample(align_corners=True,
padding_mode="border")` on the grid normalised by `(W-1)/2`, `(H-1)/2`. Coordinates are computed
in fp32 even for fp16 images (fp16 coordinates lose whole pixels beyond x = 2048).

Facets of the op (one file each): `reference`, `triton_kernel`, `torch_op`, `onnx_lowering`,
`onnx_executor`, `trt_plugin`, `ptx`, `flops`, `bench`; the registry entry is in
`vfi.kernels.registry`.
"""

from __future__ import annotations


def backward_warp(img, flow):
    """Warp `img` [N,C,H,W] by `flow` [N,2,H,W] (pixels). Returns [N,C,H,W] in img's dtype.

    Dispatch (same meaning everywhere):
      * inside `torch.onnx.export`: the lowering chosen by `vfi.kernels.export_flavour` (one
        `vfi::VfiBackwardWarp` node for TensorRT, or standard `GridSample` for portable graphs);
      * CUDA tensors: `torch.ops.vfi.backward_warp` (fused Triton kernel, autograd supported);
      * CPU tensors: the `grid_sample` composition, called directly so that CPU graphs captured by
        `torch.export` / AOTInductor hold only built-in ops (the torch op's CPU kernel is the same
        composition, so the numbers are identical).
    """
    import torch

    if torch.onnx.is_in_onnx_export():
        from vfi.kernels.backward_warp import onnx_lowering
        from vfi.kernels.export_flavour import current_flavour

        if current_flavour() == "tensorrt":
            return onnx_lowering.lower_tensorrt(img, flow)
        return onnx_lowering.lower_portable(img, flow)
    if img.is_cuda:
        from vfi.kernels.backward_warp import torch_op

        return torch_op.backward_warp_op(img, flow)
    from vfi.kernels.backward_warp.reference import backward_warp_grid_sample

    return backward_warp_grid_sample(img, flow)


__all__ = ["backward_warp"]
