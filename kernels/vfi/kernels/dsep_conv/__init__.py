"""Deformable separable convolution (DSepConv; LDMVFI's synthesis op, Danier et al., AAAI 2024,
after Cheng & Chen, AAAI 2020): every output pixel is a K x K separable kernel whose taps are each
displaced by their own offset and gated by a mask.

Contract:
  * img [N,C,H,W]; v, h [N,K,H,W] (vertical and horizontal kernel); alpha, beta, mask [N,K*K,H,W].
    K odd (LDMVFI uses 5), c = (K-1)/2, tap k = i*K + j for i, j in 0..K-1. Output [N,C,H,W].
  * out[n,:,y,x] = sum_{i,j} v[n,i,y,x] h[n,j,y,x] mask[n,k,y,x]
                   * bilinear(img[n], y + i - c + alpha[n,k,y,x], x + j - c + beta[n,k,y,x]).
    alpha is the vertical (y) offset, beta the horizontal (x) one, both in pixels.
  * Sampling is `backward_warp`'s: positions clamped to the frame ([0, W-1] x [0, H-1]), i.e.
    `grid_sample(align_corners=True, padding_mode="border")`; the gradient w.r.t. an offset is 0
    where its clamp is active.
  * Non-finite offsets: a NaN alpha or beta counts as 0 (that tap samples its undisplaced,
    clamped position y + i - c or x + j - c); +-inf clamps to the border like any far offset.
    Non-finite v, h or mask propagate (they are plain multipliers).
  * Arithmetic (positions, bilinear weights, products, sums) in fp32 for fp32/fp16/bf16 images,
    float64 for float64 images; fp16 offsets are widened to fp32 before use. Output in img's dtype.
  * Differentiable w.r.t. img, v, h, alpha, beta and mask.

The official LDMVFI kernel (danier97/LDMVFI `cupy_module/dsepconv.py`, `kernel_DSepconv_updateOutput`;
read, not run): `FunctionDSepconv(input, vertical, horizontal, offset_x, offset_y, mask)` is called
with `(ReplicationPad2d(2)(frame), v, h, alpha, beta, mask)` and asserts input H = output H + K - 1,
so the frame is replicate-padded by 2 px per side (= c for K = 5). Despite the names, `offset_x`
(alpha) is read as the vertical offset `delta_y` and `offset_y` (beta) as the horizontal `delta_x`.
For output (y, x) and tap (i, j) it samples the padded frame at
(y + i - c + 1 + alpha, x + j - c + 1 + beta) (C integer division for c). Shifted back by the 2 px
pad that is the unpadded position (y + i - c + (alpha - 1), x + j - c + (beta - 1)), and a
replicate-padded frame sampled bilinearly equals the border-clamped unpadded frame, so for K = 5
and positions inside the padded frame the official output is this op with offsets alpha - 1 and
beta - 1 (a model port passes the shifted offsets). Where the position leaves the padded frame
(padded coordinate < 0 or >= W + 3, resp. H + 3, including exactly its last index) the official
kernel clamps the position and both corner indices to the same edge but keeps its weights
(1 + (left - p)) and (1 - (right - p)), which are then 1 and 1: the edge value is counted twice
per axis that leaves the frame (four times at a corner). This op clamps the position and blends
with weights summing to 1. (Its backward kernels also hard-code 3 image channels.)

Facets of the op (one file each): `reference`, `triton_kernel`, `torch_op`, `onnx_lowering`,
`onnx_executor`, `trt_plugin`, `ptx`, `flops`, `bench`; the registry entry is in
`vfi.kernels.registry`.
"""

from __future__ import annotations


def dsep_conv(img, v, h, alpha, beta, mask):
    """Deformable separable convolution of `img` [N,C,H,W]; returns [N,C,H,W] in img's dtype.

    Args:
        img: frame(s) or features to synthesise from.
        v, h: [N,K,H,W] vertical / horizontal 1-D kernels per output pixel (K odd).
        alpha, beta: [N,K*K,H,W] vertical / horizontal offset of each tap, in pixels.
        mask: [N,K*K,H,W] per-tap modulation.

    Raises `vfi.core.errors.InputError` for wrong shapes or an even K.

    Dispatch (same meaning everywhere):
      * inside `torch.onnx.export`: the lowering chosen by `vfi.kernels.export_flavour` (one
        `vfi::VfiDsepConv` node for TensorRT, or standard Clip/Floor/GatherElements for portable
        graphs);
      * CUDA tensors: `torch.ops.vfi.dsep_conv` (Triton kernel, autograd supported);
      * CPU tensors: the gather composition of `reference.py`, called directly so that CPU graphs
        captured by `torch.export` / AOTInductor hold only built-in ops (the torch op's CPU kernel
        is the same composition, so the numbers are identical).
    """
    import torch

    from vfi.kernels.dsep_conv.reference import check_inputs

    check_inputs(img, v, h, alpha, beta, mask)
    if torch.onnx.is_in_onnx_export():
        from vfi.kernels.dsep_conv import onnx_lowering
        from vfi.kernels.export_flavour import current_flavour

        if current_flavour() == "tensorrt":
            return onnx_lowering.lower_tensorrt(img, v, h, alpha, beta, mask)
        return onnx_lowering.lower_portable(img, v, h, alpha, beta, mask)
    if img.is_cuda:
        from vfi.kernels.dsep_conv import torch_op

        return torch_op.dsep_conv_op(img, v, h, alpha, beta, mask)
    from vfi.kernels.dsep_conv.reference import dsep_conv_reference

    return dsep_conv_reference(img, v, h, alpha, beta, mask)


__all__ = ["dsep_conv"]
