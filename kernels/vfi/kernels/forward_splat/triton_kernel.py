"""Triton kernels of forward splatting: an atomic splat pass, then a normalise pass.

`forward_splat_kernel`: one program per `BLOCK` source pixels. Each pixel computes its target
q = p + flow(p) and bilinear weights once (fp32 whatever the data dtype), then `tl.atomic_add`s
w * m * img into the C numerator planes and w * m into the weight plane of an fp32 accumulator
[N, C+1, H, W] that the caller has zeroed. `forward_splat_normalise_kernel`: one program per
`BLOCK` output elements, out = num / den where den != 0, else 0 (mode "sum": out = num), cast to
the output dtype.

"soft" mode exponentiates the metric as given: the caller passes the metric already shifted by
its per-image maximum (`reference.kernel_metric`), so the kernel needs no reduction pass. The
metric pointer is fp32 in every mode (a 1-element placeholder for "sum"/"avg", never read).

Atomic float additions make the sums order-dependent on a GPU (a few ulp of fp32 from run to
run); under `TRITON_INTERPRET=1` programs run one at a time, so CPU runs are deterministic.

The splat kernel's parameter order is the TensorRT AOT plugin's launch order (inputs img, flow,
metric, accumulator; int32 scalars; the output, which aliases the accumulator input), so the
launcher passes the accumulator twice. `vfi.kernels.forward_splat.ptx` compiles this function to
PTX for the plugin. Offsets are int64; the pixel count N*H*W must fit in int32.
"""

from __future__ import annotations

import triton
import triton.language as tl

BLOCK = 256
NUM_WARPS = 4
NORMALISE_BLOCK = 1024

# (name, Triton signature type or None for a pointer whose element type follows the data dtype).
# The AOT plugin passes exactly these, in this order.
KERNEL_PARAMS = (
    ("img_ptr", None),
    ("flow_ptr", None),
    ("metric_ptr", "*fp32"),
    ("acc_in_ptr", "*fp32"),
    ("C", "i32"),
    ("H", "i32"),
    ("W", "i32"),
    ("P", "i32"),
    ("acc_ptr", "*fp32"),
)


@triton.jit
def forward_splat_kernel(img_ptr, flow_ptr, metric_ptr, acc_in_ptr, C, H, W, P, acc_ptr, MODE: tl.constexpr, BLOCK: tl.constexpr):
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
    qx = x.to(tl.float32) + fx
    qy = y.to(tl.float32) + fy
    # A target with all four neighbours outside the frame contributes nothing; the comparisons are
    # False for NaN, so non-finite flow drops out here too. Dead targets are replaced before the
    # int conversion (huge or infinite values would overflow it).
    live = mask & (qx > -1.0) & (qx < W) & (qy > -1.0) & (qy < H)
    qx = tl.where(live, qx, 0.0)
    qy = tl.where(live, qy, 0.0)
    x0f = tl.floor(qx)
    y0f = tl.floor(qy)
    ax = qx - x0f
    ay = qy - y0f
    x0 = x0f.to(tl.int32)
    y0 = y0f.to(tl.int32)
    x1 = x0 + 1
    y1 = y0 + 1
    w00 = (1.0 - ax) * (1.0 - ay)
    w01 = ax * (1.0 - ay)
    w10 = (1.0 - ax) * ay
    w11 = ax * ay
    if MODE == "linear" or MODE == "soft":
        m = tl.load(metric_ptr + n64 * hw64 + rem64, mask=live, other=0.0)
        if MODE == "soft":
            m = tl.exp(m)
        w00 = w00 * m
        w01 = w01 * m
        w10 = w10 * m
        w11 = w11 * m
    # x0 <= W-1 and y0 <= H-1 follow from `live`; only the other sides need a test.
    in00 = live & (x0 >= 0) & (y0 >= 0)
    in01 = live & (x1 < W) & (y0 >= 0)
    in10 = live & (x0 >= 0) & (y1 < H)
    in11 = live & (x1 < W) & (y1 < H)
    o00 = (y0 * W + x0).to(tl.int64)
    o01 = (y0 * W + x1).to(tl.int64)
    o10 = (y1 * W + x0).to(tl.int64)
    o11 = (y1 * W + x1).to(tl.int64)

    acc_base = n64 * (C + 1) * hw64
    if MODE != "sum":
        den = acc_base + C * hw64
        tl.atomic_add(acc_ptr + den + o00, w00, mask=in00, sem="relaxed")
        tl.atomic_add(acc_ptr + den + o01, w01, mask=in01, sem="relaxed")
        tl.atomic_add(acc_ptr + den + o10, w10, mask=in10, sem="relaxed")
        tl.atomic_add(acc_ptr + den + o11, w11, mask=in11, sem="relaxed")
    img_base = n64 * C * hw64
    for c in range(0, C):
        v = tl.load(img_ptr + img_base + c * hw64 + rem64, mask=live, other=0.0).to(tl.float32)
        plane = acc_base + c * hw64
        tl.atomic_add(acc_ptr + plane + o00, v * w00, mask=in00, sem="relaxed")
        tl.atomic_add(acc_ptr + plane + o01, v * w01, mask=in01, sem="relaxed")
        tl.atomic_add(acc_ptr + plane + o10, v * w10, mask=in10, sem="relaxed")
        tl.atomic_add(acc_ptr + plane + o11, v * w11, mask=in11, sem="relaxed")


@triton.jit
def forward_splat_normalise_kernel(acc_ptr, C, H, W, Q, out_ptr, NORMALISE: tl.constexpr, BLOCK: tl.constexpr):
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < Q
    hw = H.to(tl.int64) * W
    chw = C * hw
    n = idx // chw
    rem = idx - n * chw
    c = rem // hw
    p = rem - c * hw
    base = n * (C + 1) * hw
    val = tl.load(acc_ptr + base + c * hw + p, mask=mask, other=0.0)
    if NORMALISE:
        den = tl.load(acc_ptr + base + C * hw + p, mask=mask, other=0.0)
        nonzero = den != 0.0
        val = tl.where(nonzero, val / tl.where(nonzero, den, 1.0), 0.0)
    tl.store(out_ptr + idx, val.to(out_ptr.dtype.element_ty), mask=mask)


def forward_splat_accumulate(img, flow, kmetric, mode: str, block: int = BLOCK, num_warps: int = NUM_WARPS):
    """Zeroed fp32 accumulator [N, C+1, H, W] after the splat pass (numerators, then the weight).

    `kmetric` is the kernel's fp32 metric (`reference.kernel_metric`). Inputs must be checked.
    """
    import torch

    n, c, h, w = img.shape
    acc = torch.zeros(n, c + 1, h, w, dtype=torch.float32, device=img.device)
    pixels = n * h * w
    if pixels == 0:
        return acc
    grid = (triton.cdiv(pixels, block),)
    forward_splat_kernel[grid](img, flow, kmetric, acc, c, h, w, pixels, acc, MODE=mode, BLOCK=block, num_warps=num_warps)
    return acc


def forward_splat_triton(img, flow, metric=None, mode: str = "sum", block: int = BLOCK, num_warps: int = NUM_WARPS):
    """Splat img [N,C,H,W] (fp32/fp16) by flow [N,2,H,W] (img's dtype); returns a new tensor.

    Two launches: the atomic splat into a zeroed fp32 accumulator, then the normalise pass.
    Runs on CUDA tensors, or on CPU tensors under `TRITON_INTERPRET=1` (tests).
    """
    import torch

    from vfi.core.errors import InputError
    from vfi.kernels.forward_splat.reference import check_inputs, kernel_metric

    check_inputs(img, flow, metric, mode)
    if img.dtype not in (torch.float32, torch.float16) or flow.dtype != img.dtype:
        raise InputError(
            f"forward_splat Triton kernel takes fp32/fp16 img with flow of the same dtype, got {img.dtype}, {flow.dtype}"
        )
    n, c, h, w = img.shape
    pixels = n * h * w
    if pixels >= 2**31:
        raise InputError(f"forward_splat Triton kernel: N*H*W = {pixels} pixels exceeds int32")
    img = img.contiguous()
    flow = flow.contiguous()
    acc = forward_splat_accumulate(img, flow, kernel_metric(flow, metric, mode).contiguous(), mode, block, num_warps)
    out = torch.empty_like(img)
    if out.numel() == 0:
        return out
    grid = (triton.cdiv(out.numel(), NORMALISE_BLOCK),)
    forward_splat_normalise_kernel[grid](acc, c, h, w, out.numel(), out, NORMALISE=mode != "sum", BLOCK=NORMALISE_BLOCK)
    return out
