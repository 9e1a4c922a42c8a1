"""Reference modulated deformable convolution (DCNv2), with the semantics of ONNX `DeformConv` (opset 19).

For output pixel (oy, ox), kernel tap (ky, kx) and input channel c of offset group g:
    py = oy * stride_h - pad_h + ky * dil_h + offset[n, ((g * KH + ky) * KW + kx) * 2 + 0, oy, ox]
    px = ox * stride_w - pad_w + kx * dil_w + offset[n, ((g * KH + ky) * KW + kx) * 2 + 1, oy, ox]
    sample = bilinear(x[n, c], py, px)   # each of the 4 corners outside the image contributes 0
    col[n, c, tap, oy, ox] = sample * mask[n, g * KH * KW + tap, oy, ox]
and the output is the grouped convolution of `col` with `weight` plus `bias`. Offsets are in input
pixels, y before x for each tap (ONNX layout, also torchvision's). `mask=None` means all ones.

This is the semantic reference: plain PyTorch tensor ops, differentiable, float64-capable. The torch
op's CPU path and its backward reuse it. Sampling coordinates are computed in float32 at least, even
for float16 inputs (fp16 coordinates lose whole pixels beyond 2048).
"""

from __future__ import annotations

from vfi.kernels.conv_geometry import as_pair as _pair
from vfi.kernels.conv_geometry import conv_output_size as output_size


def bilinear_zero(img, py, px):
    """Sample `img` [N, G, Cg, H, W] at positions `py`, `px` [N, G, P] (pixels).

    Returns [N, G, Cg, P]. A corner outside the image contributes 0 (ONNX GridSample with
    padding_mode="zeros", align_corners=1, on pixel coordinates).
    """
    import torch

    n, g, cg, h, w = img.shape
    flat = img.reshape(n, g, cg, h * w)
    y0 = torch.floor(py)
    x0 = torch.floor(px)
    ly = py - y0
    lx = px - x0
    y0 = y0.long()
    x0 = x0.long()
    out = 0
    for dy, wy in ((0, 1 - ly), (1, ly)):
        for dx, wx in ((0, 1 - lx), (1, lx)):
            yy = y0 + dy
            xx = x0 + dx
            inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            idx = (yy.clamp(0, h - 1) * w + xx.clamp(0, w - 1)).unsqueeze(2).expand(n, g, cg, -1)
            vals = torch.gather(flat, 3, idx)
            weight = (wy * wx * inside.to(wy.dtype)).unsqueeze(2)
            out = out + vals * weight.to(vals.dtype)
    return out


def deform_conv2d_reference(x, offset, mask, weight, bias, stride=1, padding=0, dilation=1, groups=1, offset_groups=1):
    """Modulated deformable convolution.

    Args:
        x: [N, Cin, H, W].
        offset: [N, 2 * offset_groups * KH * KW, Ho, Wo], pixels, (y, x) per tap.
        mask: [N, offset_groups * KH * KW, Ho, Wo] modulation, or None (all ones).
        weight: [Cout, Cin / groups, KH, KW].
        bias: [Cout] or None.
        stride, padding, dilation: int or (h, w); padding is symmetric.
        groups: convolution groups; offset_groups: groups of input channels sharing offsets.
    Returns:
        [N, Cout, Ho, Wo] in x's dtype.
    """
    import torch

    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    n, cin, h, w = x.shape
    cout, cin_g, kh, kw = weight.shape
    taps = kh * kw
    ho, wo = output_size((h, w), (kh, kw), stride, padding, dilation)
    _check_shapes(x, offset, mask, weight, bias, groups, offset_groups, (ho, wo))

    cdt = torch.float64 if x.dtype == torch.float64 else torch.float32
    off = offset.to(cdt).reshape(n, offset_groups, kh, kw, 2, ho, wo)
    oy = torch.arange(ho, device=x.device, dtype=cdt).view(ho, 1) * stride[0] - padding[0]
    ox = torch.arange(wo, device=x.device, dtype=cdt).view(1, wo) * stride[1] - padding[1]
    ky = torch.arange(kh, device=x.device, dtype=cdt).view(kh, 1, 1, 1) * dilation[0]
    kx = torch.arange(kw, device=x.device, dtype=cdt).view(1, kw, 1, 1) * dilation[1]
    py = (oy + ky + off[:, :, :, :, 0]).reshape(n, offset_groups, taps * ho * wo)
    px = (ox + kx + off[:, :, :, :, 1]).reshape(n, offset_groups, taps * ho * wo)

    xg = x.to(cdt).reshape(n, offset_groups, cin // offset_groups, h, w)
    cols = bilinear_zero(xg, py, px).reshape(n, offset_groups, cin // offset_groups, taps, ho * wo)
    if mask is not None:
        cols = cols * mask.to(cdt).reshape(n, offset_groups, 1, taps, ho * wo)
    # Grouped GEMM: [G, Cout/G, Cin/G * taps] x [N, G, Cin/G * taps, L].
    cols = cols.reshape(n, groups, cin_g * taps, ho * wo)
    wmat = weight.to(cdt).reshape(groups, cout // groups, cin_g * taps)
    out = torch.einsum("gok,ngkl->ngol", wmat, cols).reshape(n, cout, ho, wo)
    if bias is not None:
        out = out + bias.to(cdt).view(1, cout, 1, 1)
    return out.to(x.dtype)


def _check_shapes(x, offset, mask, weight, bias, groups, offset_groups, out_hw) -> None:
    from vfi.core.errors import InputError

    n, cin, _, _ = x.shape
    cout, cin_g, kh, kw = weight.shape
    ho, wo = out_hw
    problems = []
    if cin != cin_g * groups or cout % groups:
        problems.append(f"weight {tuple(weight.shape)} does not fit Cin={cin} with groups={groups}")
    if cin % offset_groups:
        problems.append(f"Cin={cin} is not divisible by offset_groups={offset_groups}")
    if tuple(offset.shape) != (n, 2 * offset_groups * kh * kw, ho, wo):
        problems.append(f"offset must be {(n, 2 * offset_groups * kh * kw, ho, wo)}, got {tuple(offset.shape)}")
    if mask is not None and tuple(mask.shape) != (n, offset_groups * kh * kw, ho, wo):
        problems.append(f"mask must be {(n, offset_groups * kh * kw, ho, wo)}, got {tuple(mask.shape)}")
    if bias is not None and tuple(bias.shape) != (cout,):
        problems.append(f"bias must be ({cout},), got {tuple(bias.shape)}")
    if problems:
        raise InputError("deform_conv2d: " + "; ".join(problems))
