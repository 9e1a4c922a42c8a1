"""Fused Triton kernel: flow -> clamped fp32 coordinates -> four-tap bilinear gather, one pass.

Each program handles `BLOCK` output pixels and loops over all channels, so the flow and the
coordinate/weight arithmetic are read and computed once per pixel. Coordinates and blending are
fp32 whatever the data dtype (fp16 coordinates lose whole pixels beyond x = 2048).

The parameter order is the TensorRT AOT plugin's launch order (inputs, int32 scalars, outputs);
`vfi.kernels.backward_warp.ptx` compiles this same function to PTX for the plugin. Indices into
the tensors are int64, so N*C*H*W may exceed 2**31; the pixel count N*H*W must not.
"""

from __future__ import annotations

import triton
import triton.language as tl

BLOCK = 256
NUM_WARPS = 4

# (name, Triton signature type or None for a pointer whose element type follows the data dtype).
# The AOT plugin passes exactly these, in this order.
KERNEL_PARAMS = (("img_ptr", None), ("flow_ptr", None), ("C", "i32"), ("H", "i32"), ("W", "i32"), ("P", "i32"), ("out_ptr", None))


@triton.jit
def backward_warp_kernel(img_ptr, flow_ptr, C, H, W, P, out_ptr, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    pix = pid * BLOCK + tl.arange(0, BLOCK)
    mask = pix < P
    hw = H * W
    n = pix // hw
    rem = pix - n * hw
    y = rem // W
    x = rem - y * W
    n64 = n.to(tl.int64)
    rem64 = rem.to(tl.int64)
    hw64 = (H * W).to(tl.int64)

    flow_off = n64 * 2 * hw64 + rem64
    fx = tl.load(flow_ptr + flow_off, mask=mask, other=0.0).to(tl.float32)
    fy = tl.load(flow_ptr + flow_off + hw64, mask=mask, other=0.0).to(tl.float32)
    sx = x.to(tl.float32) + fx
    sy = y.to(tl.float32) + fy
    # NaN flow samples the pixel itself rather than an out-of-bounds address.
    sx = tl.where(sx == sx, sx, x.to(tl.float32))
    sy = tl.where(sy == sy, sy, y.to(tl.float32))
    sx = tl.minimum(tl.maximum(sx, 0.0), (W - 1).to(tl.float32))
    sy = tl.minimum(tl.maximum(sy, 0.0), (H - 1).to(tl.float32))
    x0f = tl.floor(sx)
    y0f = tl.floor(sy)
    wx = sx - x0f
    wy = sy - y0f
    x0 = x0f.to(tl.int32)
    y0 = y0f.to(tl.int32)
    x1 = tl.minimum(x0 + 1, W - 1)
    y1 = tl.minimum(y0 + 1, H - 1)
    w00 = (1.0 - wx) * (1.0 - wy)
    w01 = wx * (1.0 - wy)
    w10 = (1.0 - wx) * wy
    w11 = wx * wy
    o00 = (y0 * W + x0).to(tl.int64)
    o01 = (y0 * W + x1).to(tl.int64)
    o10 = (y1 * W + x0).to(tl.int64)
    o11 = (y1 * W + x1).to(tl.int64)

    base = n64 * C * hw64
    for c in range(0, C):
        plane = base + c * hw64
        v00 = tl.load(img_ptr + plane + o00, mask=mask, other=0.0).to(tl.float32)
        v01 = tl.load(img_ptr + plane + o01, mask=mask, other=0.0).to(tl.float32)
        v10 = tl.load(img_ptr + plane + o10, mask=mask, other=0.0).to(tl.float32)
        v11 = tl.load(img_ptr + plane + o11, mask=mask, other=0.0).to(tl.float32)
        val = v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11
        tl.store(out_ptr + plane + rem64, val.to(out_ptr.dtype.element_ty), mask=mask)


def backward_warp_triton(img, flow, block: int = BLOCK, num_warps: int = NUM_WARPS):
    """Launch the fused kernel on img [N,C,H,W] (fp32/fp16) and flow [N,2,H,W]; returns a new tensor.

    Runs on CUDA tensors, or on CPU tensors under `TRITON_INTERPRET=1` (tests).
    """
    import torch

    from vfi.core.errors import InputError
    from vfi.kernels.backward_warp.reference import check_shapes

    check_shapes(img, flow)
    if img.dtype not in (torch.float32, torch.float16) or flow.dtype not in (torch.float32, torch.float16):
        raise InputError(f"backward_warp Triton kernel takes fp32/fp16 data, got img {img.dtype}, flow {flow.dtype}")
    n, c, h, w = img.shape
    pixels = n * h * w
    if pixels >= 2**31:
        raise InputError(f"backward_warp Triton kernel: N*H*W = {pixels} pixels exceeds int32")
    img = img.contiguous()
    flow = flow.contiguous()
    out = torch.empty_like(img)
    if out.numel() == 0:
        return out
    grid = (triton.cdiv(pixels, block),)
    backward_warp_kernel[grid](img, flow, c, h, w, pixels, out, BLOCK=block, num_warps=num_warps)
    return out
