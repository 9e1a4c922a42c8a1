"""Triton kernels for spatially sparse convolution: gather of active outputs, implicit GEMM, scatter.

Two entry points share one implicit-GEMM core (`_conv_tile`):

* `sparse_conv2d_indexed_kernel` (the torch op on CUDA): the active positions are compacted first with
  torch ops (`nonzero`, one host sync for the grid size); programs cover only active positions, so the
  cost scales with the active fraction exactly. The output is pre-filled with the fallback.
* `sparse_conv2d_dense_kernel` (the TensorRT AOT plugin): programs cover all output positions in tiles
  of BLOCK_P; a tile with no active position skips the GEMM and only writes the fallback. Chosen for
  the plugin because an AOT plugin launches one kernel with a grid fixed from shapes (no data-dependent
  grid, no workspace for a compaction + count, no atomics), and the masks of uncertainty-guided
  pruning are spatially coherent blobs, so most tiles are entirely active or entirely inactive.

Kernel signatures are tensor inputs, integer scalars, tensor output (TensorRT AOT order); contiguous
NCHW; mask is read as uint8 (bool storage); the GEMM accumulates in fp32.
"""

from __future__ import annotations

import triton
import triton.language as tl


@triton.jit
def _conv_tile(
    x_ptr,
    weight_ptr,
    n,
    oy,
    ox,
    p_ok,
    co,
    co_ok,
    C,
    H,
    W,
    STRIDE_H,
    STRIDE_W,
    PAD_H,
    PAD_W,
    DIL_H,
    DIL_W,
    KH: tl.constexpr,
    KW: tl.constexpr,
    HALF: tl.constexpr,
    BLOCK_P: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
):
    TAPS: tl.constexpr = KH * KW
    k_total = C * TAPS
    acc = tl.zeros((BLOCK_P, BLOCK_N), dtype=tl.float32)
    for k0 in range(0, k_total, BLOCK_K):
        kk = k0 + tl.arange(0, BLOCK_K)
        k_ok = kk < k_total
        ci = kk // TAPS
        tap = kk % TAPS
        iy = (oy * STRIDE_H - PAD_H)[:, None] + ((tap // KW) * DIL_H)[None, :]
        ix = (ox * STRIDE_W - PAD_W)[:, None] + ((tap % KW) * DIL_W)[None, :]
        ok = p_ok[:, None] & k_ok[None, :] & (iy >= 0) & (iy < H) & (ix >= 0) & (ix < W)
        a = tl.load(x_ptr + ((n[:, None] * C + ci[None, :]) * H + iy) * W + ix, mask=ok, other=0.0)
        w = tl.load(weight_ptr + co[None, :] * k_total + kk[:, None], mask=k_ok[:, None] & co_ok[None, :], other=0.0)
        if HALF:
            acc = tl.dot(a.to(tl.float16), w.to(tl.float16), acc)
        else:
            acc = tl.dot(a.to(tl.float32), w.to(tl.float32), acc, input_precision="ieee")
    return acc


@triton.jit
def sparse_conv2d_indexed_kernel(
    x_ptr,
    weight_ptr,
    bias_ptr,
    index_ptr,
    NUM_ACTIVE,
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
    out_ptr,
    KH: tl.constexpr,
    KW: tl.constexpr,
    HAS_BIAS: tl.constexpr,
    HALF: tl.constexpr,
    BLOCK_P: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
):
    p = tl.program_id(0) * BLOCK_P + tl.arange(0, BLOCK_P)
    p_ok = p < NUM_ACTIVE
    pos = tl.load(index_ptr + p, mask=p_ok, other=0)
    hw = HO * WO
    n = pos // hw
    oy = (pos // WO) % HO
    ox = pos % WO
    co = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    co_ok = co < COUT
    acc = _conv_tile(
        x_ptr,
        weight_ptr,
        n,
        oy,
        ox,
        p_ok,
        co,
        co_ok,
        C,
        H,
        W,
        STRIDE_H,
        STRIDE_W,
        PAD_H,
        PAD_W,
        DIL_H,
        DIL_W,
        KH,
        KW,
        HALF,
        BLOCK_P,
        BLOCK_N,
        BLOCK_K,
    )
    if HAS_BIAS:
        acc += tl.load(bias_ptr + co, mask=co_ok, other=0.0).to(tl.float32)[None, :]
    out_idx = (n[:, None] * COUT + co[None, :]) * hw + (oy * WO + ox)[:, None]
    tl.store(out_ptr + out_idx, acc.to(out_ptr.dtype.element_ty), mask=p_ok[:, None] & co_ok[None, :])


@triton.jit
def sparse_conv2d_dense_kernel(
    x_ptr,
    mask_ptr,
    weight_ptr,
    bias_ptr,
    fallback_ptr,
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
    out_ptr,
    KH: tl.constexpr,
    KW: tl.constexpr,
    HAS_BIAS: tl.constexpr,
    HAS_FALLBACK: tl.constexpr,
    HALF: tl.constexpr,
    BLOCK_P: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
):
    p = tl.program_id(0) * BLOCK_P + tl.arange(0, BLOCK_P)
    hw = HO * WO
    p_ok = p < N * hw
    active = tl.load(mask_ptr + p, mask=p_ok, other=0) != 0
    n = p // hw
    oy = (p // WO) % HO
    ox = p % WO
    co = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    co_ok = co < COUT
    acc = tl.zeros((BLOCK_P, BLOCK_N), dtype=tl.float32)
    if tl.max(active.to(tl.int32), axis=0) > 0:  # early exit of inactive tiles: no GEMM
        acc = _conv_tile(
            x_ptr,
            weight_ptr,
            n,
            oy,
            ox,
            p_ok & active,
            co,
            co_ok,
            C,
            H,
            W,
            STRIDE_H,
            STRIDE_W,
            PAD_H,
            PAD_W,
            DIL_H,
            DIL_W,
            KH,
            KW,
            HALF,
            BLOCK_P,
            BLOCK_N,
            BLOCK_K,
        )
        if HAS_BIAS:
            acc += tl.load(bias_ptr + co, mask=co_ok, other=0.0).to(tl.float32)[None, :]
    out_idx = (n[:, None] * COUT + co[None, :]) * hw + (oy * WO + ox)[:, None]
    ok = p_ok[:, None] & co_ok[None, :]
    if HAS_FALLBACK:
        other = tl.load(fallback_ptr + out_idx, mask=ok & (active[:, None] == 0), other=0.0).to(tl.float32)
    else:
        other = tl.zeros((BLOCK_P, BLOCK_N), dtype=tl.float32)
    res = tl.where(active[:, None], acc, other)
    tl.store(out_ptr + out_idx, res.to(out_ptr.dtype.element_ty), mask=ok)


def _blocks(cout, block_p, block_n, block_k):
    if block_n is None:
        block_n = max(16, min(64, triton.next_power_of_2(cout)))
    return dict(BLOCK_P=block_p, BLOCK_N=block_n, BLOCK_K=block_k)


def _prepare(x, mask, weight, bias, fallback, stride, padding, dilation):
    from vfi.kernels.sparse_conv2d.reference import _pair, check_shapes

    ho, wo = check_shapes(x, mask, weight, bias, fallback, stride, padding, dilation)
    geom = (*_pair(stride), *_pair(padding), *_pair(dilation))
    cont = lambda t: t.contiguous() if t is not None else None  # noqa: E731
    return ho, wo, geom, cont(x), cont(mask), cont(weight), cont(bias), cont(fallback)


def sparse_conv2d_triton(
    x, mask, weight, bias=None, fallback=None, stride=1, padding=0, dilation=1, block_p=64, block_n=None, block_k=16
):
    """Compact the mask with torch ops, then launch the indexed kernel over the active outputs only."""
    import torch

    from vfi.kernels.sparse_conv2d.reference import active_index

    ho, wo, geom, x, mask, weight, bias, fallback = _prepare(x, mask, weight, bias, fallback, stride, padding, dilation)
    n, cin, h, w = x.shape
    cout, _, kh, kw = weight.shape
    out = fallback.clone() if fallback is not None else torch.zeros((n, cout, ho, wo), device=x.device, dtype=x.dtype)
    idx = active_index(mask).to(torch.int32)
    if idx.numel() == 0:
        return out
    meta = _blocks(cout, block_p, block_n, block_k)
    grid = (triton.cdiv(idx.numel(), meta["BLOCK_P"]), triton.cdiv(cout, meta["BLOCK_N"]))
    sparse_conv2d_indexed_kernel[grid](
        x,
        weight,
        bias if bias is not None else x,
        idx,
        idx.numel(),
        cin,
        h,
        w,
        cout,
        ho,
        wo,
        *geom,
        out,
        KH=kh,
        KW=kw,
        HAS_BIAS=bias is not None,
        HALF=x.dtype == torch.float16,
        **meta,
    )
    return out


def sparse_conv2d_triton_dense(
    x, mask, weight, bias=None, fallback=None, stride=1, padding=0, dilation=1, block_p=64, block_n=None, block_k=16
):
    """Launch the tile-skipping kernel that the TensorRT plugin uses (no compaction step)."""
    import torch

    ho, wo, geom, x, mask, weight, bias, fallback = _prepare(x, mask, weight, bias, fallback, stride, padding, dilation)
    n, cin, h, w = x.shape
    cout, _, kh, kw = weight.shape
    out = torch.empty((n, cout, ho, wo), device=x.device, dtype=x.dtype)
    if out.numel() == 0:
        return out
    meta = _blocks(cout, block_p, block_n, block_k)
    grid = (triton.cdiv(n * ho * wo, meta["BLOCK_P"]), triton.cdiv(cout, meta["BLOCK_N"]))
    sparse_conv2d_dense_kernel[grid](
        x,
        mask.view(torch.uint8),
        weight,
        bias if bias is not None else x,
        fallback if fallback is not None else x,
        n,
        cin,
        h,
        w,
        cout,
        ho,
        wo,
        *geom,
        out,
        KH=kh,
        KW=kw,
        HAS_BIAS=bias is not None,
        HAS_FALLBACK=fallback is not None,
        HALF=x.dtype == torch.float16,
        **meta,
    )
    return out
