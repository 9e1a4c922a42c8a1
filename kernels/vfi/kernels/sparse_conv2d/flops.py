"""FLOP count of sparse_conv2d, registered with `torch.utils.flop_counter` for `FlopCounterMode`.

Only active outputs are counted: 2 * Cin * KH * KW FLOPs (+1 with bias) per active output pixel and
output channel. The formula is registered with `get_raw=True`, so it sees the real mask tensor and
counts its True entries. Where the mask has no data (FakeTensor / meta tracing) the dense upper
bound is returned; `sparse_conv2d_flops(..., mask=...)` gives the effective count for a mask
directly, and `dense_flops` the dense convolution's count (torch's conv convention).
"""

from __future__ import annotations


def dense_flops(x_shape, weight_shape, out_hw, has_bias: bool) -> int:
    """FLOPs of the dense conv2d producing [N, Cout, *out_hw] (+ bias adds)."""
    n = int(x_shape[0])
    cout, cin, kh, kw = (int(d) for d in weight_shape)
    per_output = 2 * cin * kh * kw + (1 if has_bias else 0)
    return n * cout * int(out_hw[0]) * int(out_hw[1]) * per_output


def sparse_conv2d_flops(weight_shape, num_active: int, has_bias: bool) -> int:
    """FLOPs of the active outputs only: num_active (pixels, over the batch) x Cout x per-output cost."""
    cout, cin, kh, kw = (int(d) for d in weight_shape)
    return int(num_active) * cout * (2 * cin * kh * kw + (1 if has_bias else 0))


def _count_active(mask) -> int | None:
    try:
        from torch._subclasses.fake_tensor import is_fake

        if is_fake(mask) or mask.device.type == "meta":
            return None
        return int(mask.count_nonzero())
    except Exception:  # a tracer's tensor without data: fall back to the dense bound
        return None


def _raw_formula(x, mask, weight, bias, fallback, stride, padding, dilation, *args, out_val=None, **kwargs) -> int:
    active = _count_active(mask)
    if active is None:
        return dense_flops(x.shape, weight.shape, mask.shape[2:], bias is not None)
    return sparse_conv2d_flops(weight.shape, active, bias is not None)


_registered = False


def register() -> None:
    """Register the mask-aware formula for `torch.ops.vfi.sparse_conv2d` (idempotent)."""
    global _registered
    if _registered:
        return
    import torch
    from torch.utils.flop_counter import register_flop_formula

    register_flop_formula(torch.ops.vfi.sparse_conv2d, get_raw=True)(_raw_formula)
    _registered = True
