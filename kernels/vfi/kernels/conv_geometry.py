"""Convolution geometry shared by the convolution-like ops (deformable and sparse convolution)."""

from __future__ import annotations


def as_pair(v) -> tuple[int, int]:
    """An int or a 2-sequence as an (int, int) pair (stride, padding, dilation: y then x)."""
    if isinstance(v, int):
        return (v, v)
    a, b = v
    return (int(a), int(b))


def conv_output_size(in_hw, kernel_hw, stride, padding, dilation) -> tuple[int, int]:
    """Output (H, W) of a convolution; same formula as `torch.nn.functional.conv2d`."""
    return tuple((i + 2 * p - d * (k - 1) - 1) // s + 1 for i, k, s, p, d in zip(in_hw, kernel_hw, stride, padding, dilation))
