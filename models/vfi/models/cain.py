"""CAIN: Channel Attention Is All You Need for Video Frame Interpolation (Choi et al., AAAI 2020).

No flow, no warping: both frames are mean-shifted, folded by an s x s space-to-depth
(pixel-unshuffle, s = 8 in the paper) so that motion becomes channel mixing, concatenated, and
passed through a deep RCAN-style trunk: a head convolution, `groups` residual groups of `blocks`
residual channel-attention blocks (conv, LeakyReLU, conv, squeeze-excitation attention, skip), a
long skip and a tail convolution. A depth-to-space (pixel-shuffle) by s turns the trunk's
3 * s * s channels back into the RGB frame, to which the mean of both inputs' channel means is
added back. The model always predicts the middle frame (timestep_mode "fixed").

Faithful to the reference (github.com/myungsub/CAIN, model/cain.py + common.py): per-frame,
per-channel mean subtraction; the convolutions inside the blocks and group tails pad by
reflection, the head and tail convolutions by zeros; LeakyReLU(0.2) in the blocks, ReLU inside the
attention; no output clamp. The trunk width is not free: the trunk's output is pixel-shuffled
straight to RGB, so it is 3 * s * s (192 for s = 8).

Input size: height and width must be multiples of s (`pad_multiple`) and at least 2 * s (the
reflection padding needs two rows and columns of folded features). The reference's evaluation
code additionally reflection-pads frames to multiples of 128 before the network; that is a
pipeline choice, not an architectural constraint (the pipeline here pads by replicate to
`pad_multiple`). Its one effect on the network is through the global average pool of the channel
attention, whose statistics include the padded border.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vfi.core.errors import InputError
from vfi.models.fixed_timestep import check_middle_timestep
from vfi.models.frame_checks import check_frame_pair, is_tracing

RGB_CHANNELS = 3
#: The trunk's input is both folded frames.
FRAMES = 2
KERNEL_SIZE = 3
#: Slope of the LeakyReLU between the two convolutions of each block (reference: 0.2).
BLOCK_NEGATIVE_SLOPE = 0.2
#: Reflection padding of 1 needs at least 2 folded rows and columns.
MIN_FOLDED_SIZE = 2


def _conv(in_channels: int, out_channels: int, padding_mode: str) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, KERNEL_SIZE, padding=KERNEL_SIZE // 2, padding_mode=padding_mode)


class ChannelAttention(nn.Module):
    """Squeeze-excitation: global average pool, 1x1 down by `reduction`, ReLU, 1x1 up, sigmoid, scale."""

    def __init__(self, channels: int, reduction: int):
        super().__init__()
        squeezed = channels // reduction
        if squeezed < 1:
            raise InputError(f"CAIN channel attention: width {channels} // reduction {reduction} leaves no channels")
        self.squeeze = nn.Conv2d(channels, squeezed, kernel_size=1)
        self.excite = nn.Conv2d(squeezed, channels, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = x.mean(dim=(2, 3), keepdim=True)
        weights = torch.sigmoid(self.excite(F.relu(self.squeeze(weights))))
        return x * weights


class RCAB(nn.Module):
    """Residual channel-attention block: x + CA(conv(lrelu(conv(x)))), reflection-padded convs."""

    def __init__(self, channels: int, reduction: int):
        super().__init__()
        self.conv1 = _conv(channels, channels, "reflect")
        self.act = nn.LeakyReLU(BLOCK_NEGATIVE_SLOPE)
        self.conv2 = _conv(channels, channels, "reflect")
        self.attention = ChannelAttention(channels, reduction)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.attention(self.conv2(self.act(self.conv1(x))))


class ResidualGroup(nn.Module):
    """`blocks` RCABs and a reflection-padded conv, with a skip over the whole group."""

    def __init__(self, channels: int, blocks: int, reduction: int):
        super().__init__()
        self.blocks = nn.Sequential(*(RCAB(channels, reduction) for _ in range(blocks)))
        self.tail = _conv(channels, channels, "reflect")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.tail(self.blocks(x))


class CAIN(nn.Module):
    """CAIN frame interpolation network (middle frame only).

    Args:
        shuffle_scale: side of the space-to-depth fold (paper: 8, the reference's depth 3 -> 2**3).
            The trunk width is 3 * shuffle_scale**2.
        groups: residual groups in the trunk (paper: 5).
        blocks: residual channel-attention blocks per group (paper: 12).
        reduction: channel reduction of the squeeze-excitation attention (paper: 16).

    Frames are float RGB in [0, 1], NCHW, with height and width multiples of `pad_multiple`.
    """

    timestep_mode = "fixed"

    def __init__(self, shuffle_scale: int = 8, groups: int = 5, blocks: int = 12, reduction: int = 16):
        super().__init__()
        if shuffle_scale < 1 or groups < 1 or blocks < 1 or reduction < 1:
            raise InputError(
                f"CAIN hyper-parameters must be positive integers; got shuffle_scale={shuffle_scale}, "
                f"groups={groups}, blocks={blocks}, reduction={reduction}"
            )
        self.shuffle_scale = int(shuffle_scale)
        self.width = RGB_CHANNELS * self.shuffle_scale**2
        self.head = _conv(FRAMES * self.width, self.width, "zeros")
        self.body = nn.Sequential(*(ResidualGroup(self.width, blocks, reduction) for _ in range(groups)))
        self.tail = _conv(self.width, self.width, "zeros")
        #: The fold needs whole s x s cells; nothing else in the network resamples.
        self.pad_multiple = self.shuffle_scale

    def forward(self, img0: torch.Tensor, img1: torch.Tensor, t=0.5) -> torch.Tensor:
        """The middle frame between `img0` and `img1`, [N,3,H,W]. `t` must be 0.5 (float or tensor)."""
        check_middle_timestep(t, "CAIN")
        if not is_tracing():
            self._check_frames(img0, img1)
        mean0 = img0.mean(dim=(2, 3), keepdim=True)
        mean1 = img1.mean(dim=(2, 3), keepdim=True)
        folded0 = F.pixel_unshuffle(img0 - mean0, self.shuffle_scale)
        folded1 = F.pixel_unshuffle(img1 - mean1, self.shuffle_scale)
        x = self.head(torch.cat((folded0, folded1), 1))
        x = self.tail(self.body(x) + x)
        return F.pixel_shuffle(x, self.shuffle_scale) + (mean0 + mean1) / 2

    def _check_frames(self, img0: torch.Tensor, img1: torch.Tensor) -> None:
        check_frame_pair("CAIN", img0, img1, self.pad_multiple)
        h, w = img0.shape[-2:]
        smallest = MIN_FOLDED_SIZE * self.shuffle_scale
        if h < smallest or w < smallest:
            raise InputError(f"CAIN needs frames of at least {smallest}x{smallest} pixels, got {w}x{h}")
