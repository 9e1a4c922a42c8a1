"""Triton kernel for modulated deformable convolution: implicit im2col of the deformed samples + GEMM.

One program computes a [BLOCK_M output pixels x BLOCK_N output channels] tile of one convolution
group. The reduction runs over k = (input channel of the group, kernel tap) in BLOCK_K chunks: for each
chunk the program gathers the bilinear samples (4 masked loads, zero outside the image), scales them by
the modulation mask, and feeds the [BLOCK_M, BLOCK_K] tile with the matching [BLOCK_K, BLOCK_N] weight
tile to `tl.dot` (fp32 accumulation). The column matrix is never written to memory.

Kernel signature = tensor inputs, integer scalars, tensor output (the order TensorRT's AOT plugins
require, see `trt_plugin.py`); all tensors are contiguous NCHW. Sampling coordinates are fp32.
Indices are int32: fine up to 2**31 elements per tensor (64 channels x 1920x1080 x 8 offset groups
of 18 offset channels is 3e8).
"""

from __future__ import annotations

import triton
import triton.language as tl


@triton.jit
def deform_conv2d_kernel(
    x_ptr,
    offset_ptr,
    mask_ptr,
    weight_ptr,
    bias_ptr,
    N,
    C,
    H,
    W,
    COUT,
    HO,
    WO,
    STRIDE_H,
    STRIDE_W,
    PAD_H,
    PAD_W,
    DIL_H,
    DIL_W,
    GROUPS,
    OFFSET_GROUPS,
    out_ptr,
    KH: tl.constexpr,
    KW: tl.constexpr,
    HAS_MASK: tl.constexpr,
    HAS_BIAS: tl.constexpr,
    HALF: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
):
    TAPS: tl.constexpr = KH * KW
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    g = tl.program_id(2)
    cin_g = C // GROUPS
    cout_g = COUT // GROUPS
    c_per_og = C // OFFSET_GROUPS
    k_total = cin_g * TAPS
    hw_out = HO * WO

    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)  # flattened (n, oy, ox)
    m_ok = offs_m < N * hw_out
    ox = offs_m % WO
    oy = (offs_m // WO) % HO
    n = offs_m // hw_out
    pix = oy * WO + ox
    base_y = (oy * STRIDE_H - PAD_H).to(tl.float32)
    base_x = (ox * STRIDE_W - PAD_W).to(tl.float32)

    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    n_ok = offs_n < cout_g
    co = g * cout_g + offs_n

    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k0 in range(0, k_total, BLOCK_K):
        kk = k0 + tl.arange(0, BLOCK_K)
        k_ok = kk < k_total
        ci = kk // TAPS
        tap = kk % TAPS
        c = g * cin_g + ci
        og_tap = (c // c_per_og) * TAPS + tap  # index of (offset group, tap)
        ok = m_ok[:, None] & k_ok[None, :]

        off_idx = n[:, None] * (2 * OFFSET_GROUPS * TAPS * hw_out) + (og_tap * 2)[None, :] * hw_out + pix[:, None]
        dy = tl.load(offset_ptr + off_idx, mask=ok, other=0.0).to(tl.float32)
        dx = tl.load(offset_ptr + off_idx + hw_out, mask=ok, other=0.0).to(tl.float32)
        py = base_y[:, None] + ((tap // KW) * DIL_H).to(tl.float32)[None, :] + dy
        px = base_x[:, None] + ((tap % KW) * DIL_W).to(tl.float32)[None, :] + dx
        y0f = tl.floor(py)
        x0f = tl.floor(px)
        ly = py - y0f
        lx = px - x0f
        y0 = y0f.to(tl.int32)
        x0 = x0f.to(tl.int32)
        y1 = y0 + 1
        x1 = x0 + 1
        x_base = (n[:, None] * C + c[None, :]) * (H * W)
        iny0 = (y0 >= 0) & (y0 < H)
        iny1 = (y1 >= 0) & (y1 < H)
        inx0 = (x0 >= 0) & (x0 < W)
        inx1 = (x1 >= 0) & (x1 < W)
        v00 = tl.load(x_ptr + x_base + y0 * W + x0, mask=ok & iny0 & inx0, other=0.0).to(tl.float32)
        v01 = tl.load(x_ptr + x_base + y0 * W + x1, mask=ok & iny0 & inx1, other=0.0).to(tl.float32)
        v10 = tl.load(x_ptr + x_base + y1 * W + x0, mask=ok & iny1 & inx0, other=0.0).to(tl.float32)
        v11 = tl.load(x_ptr + x_base + y1 * W + x1, mask=ok & iny1 & inx1, other=0.0).to(tl.float32)
        a = (1.0 - ly) * ((1.0 - lx) * v00 + lx * v01) + ly * ((1.0 - lx) * v10 + lx * v11)
        if HAS_MASK:
            m_idx = n[:, None] * (OFFSET_GROUPS * TAPS * hw_out) + og_tap[None, :] * hw_out + pix[:, None]
            a = a * tl.load(mask_ptr + m_idx, mask=ok, other=0.0).to(tl.float32)

        w = tl.load(weight_ptr + co[None, :] * k_total + kk[:, None], mask=k_ok[:, None] & n_ok[None, :], other=0.0)
        if HALF:
            acc = tl.dot(a.to(tl.float16), w.to(tl.float16), acc)
        else:
            # IEEE fp32 keeps fp32 parity with the reference; TF32 would cost ~1e-3 relative.
            acc = tl.dot(a, w.to(tl.float32), acc, input_precision="ieee")

    if HAS_BIAS:
        acc += tl.load(bias_ptr + co, mask=n_ok, other=0.0).to(tl.float32)[None, :]
    out_idx = (n[:, None] * COUT + co[None, :]) * hw_out + pix[:, None]
    tl.store(out_ptr + out_idx, acc.to(out_ptr.dtype.element_ty), mask=m_ok[:, None] & n_ok[None, :])


def launch_config(n, cout, groups, ho, wo, block_m=64, block_n=None, block_k=16):
    """Block sizes and grid for an output of [n, cout, ho, wo]. `tl.dot` needs every block dim >= 16."""
    cout_g = cout // groups
    if block_n is None:
        block_n = max(16, min(64, triton.next_power_of_2(cout_g)))
    grid = (triton.cdiv(n * ho * wo, block_m), triton.cdiv(cout_g, block_n), groups)
    return dict(BLOCK_M=block_m, BLOCK_N=block_n, BLOCK_K=block_k), grid


def deform_conv2d_triton(
    x, offset, mask, weight, bias, stride, padding, dilation, groups, offset_groups, block_m=64, block_n=None, block_k=16
):
    """Launch `deform_conv2d_kernel` on torch tensors (CUDA, or CPU under TRITON_INTERPRET=1).

    Same arguments and result as `reference.deform_conv2d_reference`; float32 or float16.
    """
    import torch

    from vfi.kernels.deform_conv2d.reference import _check_shapes, _pair, output_size

    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    n, cin, h, w = x.shape
    cout, _, kh, kw = weight.shape
    ho, wo = output_size((h, w), (kh, kw), stride, padding, dilation)
    _check_shapes(x, offset, mask, weight, bias, groups, offset_groups, (ho, wo))
    x, offset, weight = x.contiguous(), offset.contiguous(), weight.contiguous()
    mask = mask.contiguous() if mask is not None else None
    bias = bias.contiguous() if bias is not None else None
    out = torch.empty((n, cout, ho, wo), device=x.device, dtype=x.dtype)
    if out.numel() == 0:
        return out
    meta, grid = launch_config(n, cout, groups, ho, wo, block_m, block_n, block_k)
    deform_conv2d_kernel[grid](
        x,
        offset,
        mask if mask is not None else x,
        weight,
        bias if bias is not None else x,
        n,
        cin,
        h,
        w,
        cout,
        ho,
        wo,
        stride[0],
        stride[1],
        padding[0],
        padding[1],
        dilation[0],
        dilation[1],
        groups,
        offset_groups,
        out,
        KH=kh,
        KW=kw,
        HAS_MASK=mask is not None,
        HAS_BIAS=bias is not None,
        HALF=x.dtype == torch.float16,
        **meta,
    )
    return out
