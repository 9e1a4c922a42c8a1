"""Reference spatially sparse convolution (uncertainty-guided pruning).

    sparse_conv2d(x, mask, weight, bias, fallback)[n, :, oy, ox]
        = conv2d(x, weight, bias)[n, :, oy, ox]   where mask[n, 0, oy, ox]
        = fallback[n, :, oy, ox] (or 0)           elsewhere

The reference computes the dense convolution and selects; the fast paths (`cpu_gather_conv`, the
Triton kernels) compute only the active outputs, so their cost scales with the active fraction.
"""

from __future__ import annotations

from vfi.kernels.conv_geometry import as_pair as _pair
from vfi.kernels.conv_geometry import conv_output_size as output_size


def check_shapes(x, mask, weight, bias, fallback, stride, padding, dilation) -> tuple[int, int]:
    """Validate shapes; return the output (Ho, Wo)."""
    from vfi.core.errors import InputError

    n, cin, h, w = x.shape
    cout, cin_w, kh, kw = weight.shape
    ho, wo = output_size((h, w), (kh, kw), _pair(stride), _pair(padding), _pair(dilation))
    problems = []
    if cin_w != cin:
        problems.append(f"weight {tuple(weight.shape)} does not fit Cin={cin} (groups are not supported)")
    if tuple(mask.shape) != (n, 1, ho, wo):
        problems.append(f"mask must be {(n, 1, ho, wo)}, got {tuple(mask.shape)}")
    if mask.dtype != _bool_dtype():
        problems.append(f"mask must be bool, got {mask.dtype}")
    if bias is not None and tuple(bias.shape) != (cout,):
        problems.append(f"bias must be ({cout},), got {tuple(bias.shape)}")
    if fallback is not None and tuple(fallback.shape) != (n, cout, ho, wo):
        problems.append(f"fallback must be {(n, cout, ho, wo)}, got {tuple(fallback.shape)}")
    if problems:
        raise InputError("sparse_conv2d: " + "; ".join(problems))
    return ho, wo


def _bool_dtype():
    import torch

    return torch.bool


def sparse_conv2d_reference(x, mask, weight, bias=None, fallback=None, stride=1, padding=0, dilation=1):
    """`where(mask, conv2d(x, weight, bias), fallback or 0)`, dense. Differentiable, float64-capable.

    Args:
        x: [N, Cin, H, W]; mask: [N, 1, Ho, Wo] bool; weight: [Cout, Cin, KH, KW]; bias: [Cout] or None;
        fallback: [N, Cout, Ho, Wo] or None (zeros); stride, padding, dilation: int or (h, w).
    """
    import torch
    import torch.nn.functional as F

    check_shapes(x, mask, weight, bias, fallback, stride, padding, dilation)
    dense = F.conv2d(x, weight, bias, _pair(stride), _pair(padding), _pair(dilation))
    other = fallback if fallback is not None else torch.zeros((), dtype=dense.dtype, device=dense.device)
    return torch.where(mask, dense, other)


def active_index(mask):
    """Flat indices (over N*Ho*Wo, int64) of the active outputs: the compaction step, as torch ops."""
    return mask.reshape(-1).nonzero().squeeze(1)


def cpu_gather_conv(x, mask, weight, bias=None, fallback=None, stride=1, padding=0, dilation=1):
    """Gather the receptive fields of the active outputs, one matmul, scatter. Cost ~ active fraction.

    Vectorised PyTorch (any device); the torch op's CPU implementation.
    """
    import torch
    import torch.nn.functional as F

    ho, wo = check_shapes(x, mask, weight, bias, fallback, stride, padding, dilation)
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    n, cin, h, w = x.shape
    cout, _, kh, kw = weight.shape
    out = fallback.clone() if fallback is not None else x.new_zeros((n, cout, ho, wo))
    idx = active_index(mask)
    if idx.numel() == 0:
        return out
    b = idx // (ho * wo)
    oy = (idx // wo) % ho
    ox = idx % wo
    xp = F.pad(x, (padding[1], padding[1], padding[0], padding[0]))  # zero padding, indices stay >= 0
    iy = (oy * stride[0]).view(-1, 1, 1) + torch.arange(kh, device=x.device).view(1, kh, 1) * dilation[0]
    ix = (ox * stride[1]).view(-1, 1, 1) + torch.arange(kw, device=x.device).view(1, 1, kw) * dilation[1]
    # xp[b, :, iy, ix] -> [P, KH, KW, Cin] (advanced indices first), then [P, Cin*KH*KW] in weight order.
    patches = xp.permute(0, 2, 3, 1)[b.view(-1, 1, 1), iy, ix]
    patches = patches.permute(0, 3, 1, 2).reshape(idx.numel(), cin * kh * kw)
    vals = patches @ weight.reshape(cout, -1).t()
    if bias is not None:
        vals = vals + bias
    out_flat = out.permute(0, 2, 3, 1).reshape(n * ho * wo, cout)  # a view when out is contiguous
    out_flat = out_flat.index_copy(0, idx, vals.to(out.dtype))
    return out_flat.reshape(n, ho, wo, cout).permute(0, 3, 1, 2).contiguous()
