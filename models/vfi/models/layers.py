"""Building blocks several families share."""

from __future__ import annotations

import torch
from torch import nn

from vfi.kernels.sparse_conv2d import sparse_conv2d

#: kernel of the 'same'-padded convolutions the flow networks are made of
CONV_KERNEL = 3
#: the timestep is one channel (a constant map for scalar t, a distance map for distance indexing)
TIME_CHANNELS = 1


def timestep_tensor(t, like: torch.Tensor) -> torch.Tensor:
    """The model argument `t` (a float, an [N], [N,1,1,1] or [N,1,H,W] tensor) as an [N,1,1,1] or
    [N,1,H,W] tensor in `like`'s dtype and device (`like` gives N); `InputError` for other shapes.

    Every family reads its timestep through this; what it then does with a map is its own."""
    from vfi.core.errors import InputError

    if not torch.is_tensor(t):
        return like.new_full((like.shape[0], TIME_CHANNELS, 1, 1), float(t))
    t = t.to(device=like.device, dtype=like.dtype)
    if t.dim() <= 1:
        t = t.reshape(-1, 1, 1, 1)
    if t.dim() != 4 or t.shape[1] != TIME_CHANNELS:
        raise InputError(f"timestep must be a float, [N], [N,1,1,1] or [N,1,H,W] tensor, got shape {tuple(t.shape)}")
    return t


def masked_conv(x: torch.Tensor, conv: nn.Conv2d, mask: torch.Tensor | None, fallback=None) -> torch.Tensor:
    """`conv(x)` computed only where `mask` is set (`fallback`, or 0, elsewhere); dense when mask is None.

    The sparse path runs in `x`'s precision: a convolution whose weights were lowered for reduced
    precision (`vfi.models.precision_islands`) is computed sparse in fp32 (its gathers are
    coordinate work)."""
    if mask is None:
        return conv(x)
    bias = conv.bias.to(x.dtype) if conv.bias is not None else None
    return sparse_conv2d(x, mask, conv.weight.to(x.dtype), bias, fallback, conv.stride, conv.padding, conv.dilation)


class ConvPReLU(nn.Module):
    """Convolution ('same' padding for stride 1) followed by a per-channel PReLU: the layer RIFE,
    IFRNet and UGSP are built of (parameter names ``conv`` and ``act``, which their pretrained
    weights map onto).

    Args:
        kernel_size: square kernel (odd), padded by ``kernel_size // 2``.
        stride: 2 halves the resolution.
        bias: the convolution has a bias.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = CONV_KERNEL, stride: int = 1, bias: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2, bias=bias)
        self.act = nn.PReLU(out_channels)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        # With a mask only the set positions are computed; PReLU(0) = 0, so positions the mask
        # skips stay exactly zero through a stack of these layers.
        return self.act(masked_conv(x, self.conv, mask))
