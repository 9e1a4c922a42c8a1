"""Triton kernel of deformable separable convolution: one pass, gather only (no atomics).

`dsep_conv_kernel`: a program handles `BLOCK` output pixels and `BLOCK_C` channels (grid axis 1
walks the channel blocks). For each of the K*K taps it reads the tap's two offsets, v, h and
mask once per pixel, computes the clamped fp32 sample position and bilinear weights (whatever the
data dtype), gathers the four corners of its `BLOCK_C` channels and accumulates in fp32; the
output is cast to the data dtype once at the end. NaN offsets count as 0, +-inf clamps to the
border (the package docstring's contract).

Pointer types: img, v, h, mask and out in the data dtype (fp32 or fp16); alpha and beta always
fp32 (sampling positions never leave fp32). The parameter order is the TensorRT AOT plugin's
launch order (inputs, int32 scalars, output); `vfi.kernels.dsep_conv.ptx` compiles this same
function to PTX for the plugin. Offsets into the tensors are int64; the pixel count N*H*W must
fit in int32.
"""

from __future__ import annotations

import triton
import triton.language as tl

BLOCK = 128
BLOCK_C = 4
NUM_WARPS = 4

# (name, Triton signature type or None for a pointer whose element type follows the data dtype).
# The AOT plugin passes exactly these, in this order.
KERNEL_PARAMS = (
    ("img_ptr", None),
    ("v_ptr", None),
    ("h_ptr", None),
    ("alpha_ptr", "*fp32"),
    ("beta_ptr", "*fp32"),
    ("mask_ptr", None),
    ("C", "i32"),
    ("H", "i32"),
    ("W", "i32"),
    ("K", "i32"),
    ("P", "i32"),
    ("out_ptr", None),
)


@triton.jit
def dsep_conv_kernel(
    img_ptr, v_ptr, h_ptr, alpha_ptr, beta_ptr, mask_ptr, C, H, W, K, P, out_ptr, BLOCK: tl.constexpr, BLOCK_C: tl.constexpr
):
    pid = tl.program_id(0)
    pix = pid * BLOCK + tl.arange(0, BLOCK)
    live = pix < P
    hw = H * W
    n = pix // hw
    rem = pix - n * hw
    y = rem // W
    x = rem - y * W
    n64 = n.to(tl.int64)
    rem64 = rem.to(tl.int64)
    hw64 = (H * W).to(tl.int64)
    chan = tl.program_id(1) * BLOCK_C + tl.arange(0, BLOCK_C)
    chan_live = chan < C
    both = live[:, None] & chan_live[None, :]
    img_base = n64[:, None] * C * hw64 + chan.to(tl.int64)[None, :] * hw64
    r = (K - 1) // 2
    kk = K * K
    wmax = (W - 1).to(tl.float32)
    hmax = (H - 1).to(tl.float32)
    acc = tl.zeros((BLOCK, BLOCK_C), dtype=tl.float32)
    for i in range(0, K):
        vi = tl.load(v_ptr + (n64 * K + i) * hw64 + rem64, mask=live, other=0.0).to(tl.float32)
        for j in range(0, K):
            t = i * K + j
            hj = tl.load(h_ptr + (n64 * K + j) * hw64 + rem64, mask=live, other=0.0).to(tl.float32)
            tap = (n64 * kk + t) * hw64 + rem64
            a = tl.load(alpha_ptr + tap, mask=live, other=0.0)
            b = tl.load(beta_ptr + tap, mask=live, other=0.0)
            m = tl.load(mask_ptr + tap, mask=live, other=0.0).to(tl.float32)
            # NaN offsets count as 0; the clamp below sends +-inf to the border.
            a = tl.where(a == a, a, 0.0)
            b = tl.where(b == b, b, 0.0)
            py = (y + (i - r)).to(tl.float32) + a
            px = (x + (j - r)).to(tl.float32) + b
            sy = tl.minimum(tl.maximum(py, 0.0), hmax)
            sx = tl.minimum(tl.maximum(px, 0.0), wmax)
            y0f = tl.floor(sy)
            x0f = tl.floor(sx)
            wy = sy - y0f
            wx = sx - x0f
            y0 = y0f.to(tl.int32)
            x0 = x0f.to(tl.int32)
            y1 = tl.minimum(y0 + 1, H - 1)
            x1 = tl.minimum(x0 + 1, W - 1)
            o00 = (y0 * W + x0).to(tl.int64)[:, None]
            o01 = (y0 * W + x1).to(tl.int64)[:, None]
            o10 = (y1 * W + x0).to(tl.int64)[:, None]
            o11 = (y1 * W + x1).to(tl.int64)[:, None]
            v00 = tl.load(img_ptr + img_base + o00, mask=both, other=0.0).to(tl.float32)
            v01 = tl.load(img_ptr + img_base + o01, mask=both, other=0.0).to(tl.float32)
            v10 = tl.load(img_ptr + img_base + o10, mask=both, other=0.0).to(tl.float32)
            v11 = tl.load(img_ptr + img_base + o11, mask=both, other=0.0).to(tl.float32)
            wx2 = wx[:, None]
            wy2 = wy[:, None]
            sample = (v00 * (1.0 - wx2) + v01 * wx2) * (1.0 - wy2) + (v10 * (1.0 - wx2) + v11 * wx2) * wy2
            weight = (vi * hj * m)[:, None]
            acc += sample * weight
    tl.store(out_ptr + img_base + rem64[:, None], acc.to(out_ptr.dtype.element_ty), mask=both)


def dsep_conv_triton(img, v, h, alpha, beta, mask, block: int = BLOCK, block_c: int = BLOCK_C, num_warps: int = NUM_WARPS):
    """Launch the kernel on img [N,C,H,W] (fp32/fp16); returns a new tensor in img's dtype.

    v, h and mask are converted to img's dtype and alpha, beta to fp32 (the kernel's pointer
    types) when they arrive otherwise. Runs on CUDA tensors, or on CPU tensors under
    `TRITON_INTERPRET=1` (tests).
    """
    import torch

    from vfi.core.errors import InputError
    from vfi.kernels.dsep_conv.reference import check_inputs

    check_inputs(img, v, h, alpha, beta, mask)
    if img.dtype not in (torch.float32, torch.float16):
        raise InputError(f"dsep_conv Triton kernel takes fp32/fp16 images, got {img.dtype}")
    n, c, hh, ww = img.shape
    k = v.shape[1]
    pixels = n * hh * ww
    if pixels >= 2**31:
        raise InputError(f"dsep_conv Triton kernel: N*H*W = {pixels} pixels exceeds int32")
    img = img.contiguous()
    v, h, mask = (t.to(img.dtype).contiguous() for t in (v, h, mask))
    alpha, beta = (t.to(torch.float32).contiguous() for t in (alpha, beta))
    out = torch.empty_like(img)
    if out.numel() == 0:
        return out
    grid = (triton.cdiv(pixels, block), triton.cdiv(c, block_c))
    dsep_conv_kernel[grid](
        img, v, h, alpha, beta, mask, c, hh, ww, k, pixels, out, BLOCK=block, BLOCK_C=block_c, num_warps=num_warps
    )
    return out
