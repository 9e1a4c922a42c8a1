"""CSPA-style frame interpolation: cross-scale pyramid deformable alignment of both frames to the middle.

After Zhou et al., "Exploring Motion Ambiguity and Alignment for High-Quality Video Frame
Interpolation" (CVPR 2023, arXiv 2203.10291). Four stages, as in the paper's overview:

1. Feature extraction (weights shared by both frames): a stem that folds the frame to 1 /
   2**stem_downsamples of its size with strided convolutions, residual blocks, and a feature
   pyramid of `pyramid_levels` levels (each halving again).
2. Cross-scale pyramid alignment (one module per frame, so each frame has its own weights): from
   the coarsest level to the finest, the frame's features are aligned towards the middle frame by a
   modulated deformable convolution (`vfi.kernels` `deform_conv2d`) whose offsets and sigmoid masks
   are predicted from the concatenated features of both frames and, below the coarsest level, from
   the upsampled offset features of the level above (PCD-style, EDVR). Cross-scale: each level's
   aligned features are fused with the aligned features of *every* coarser level, upsampled.
3. Attention fusion: a sigmoid mask from both aligned streams blends them per pixel and channel.
4. Reconstruction: residual blocks, then pixel-shuffle upsampling back to full resolution; the
   network predicts a residual over the average of the two input frames.

The paper's reference code was not available to us; the module structure follows the paper and
PCD alignment, while the default widths and block counts (`vfi.models.catalogue.cspa`) are our
choices, sized to the paper's 28.9M parameters. What we chose ourselves: the stride-4 stem, the
two-convolution offset predictor per level, the per-channel fusion mask, the frame-average skip.
The model always predicts the middle frame (timestep_mode "fixed").
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vfi.core.errors import InputError
from vfi.kernels.deform_conv2d import deform_conv2d
from vfi.models.fixed_timestep import check_middle_timestep
from vfi.models.frame_checks import check_frame_pair, is_tracing

RGB_CHANNELS = 3
KERNEL_SIZE = 3
KERNEL_TAPS = KERNEL_SIZE * KERNEL_SIZE
#: Offsets per deformable group and tap: (dy, dx).
OFFSET_COORDS = 2
NEGATIVE_SLOPE = 0.1
#: Every resampling step (stem, pyramid, upsampling) is by 2.
LEVEL_FACTOR = 2
#: Residual-branch weights are scaled down at init so that a deep stack starts near identity.
RESIDUAL_INIT_SCALE = 0.1


def _conv(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, KERNEL_SIZE, stride=stride, padding=KERNEL_SIZE // 2)


def _lrelu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, NEGATIVE_SLOPE)


def _upsample(x: torch.Tensor, factor: int) -> torch.Tensor:
    return F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)


class ResidualBlock(nn.Module):
    """x + conv(relu(conv(x))), no normalisation."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = _conv(channels, channels)
        self.conv2 = _conv(channels, channels)
        with torch.no_grad():
            for conv in (self.conv1, self.conv2):
                conv.weight.mul_(RESIDUAL_INIT_SCALE)
                conv.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(x)))


class FeaturePyramid(nn.Module):
    """Stem (stride 2**stem_downsamples), residual blocks, then pyramid levels each halving again."""

    def __init__(self, width: int, stem_downsamples: int, blocks: int, levels: int):
        super().__init__()
        self.stem_in = _conv(RGB_CHANNELS, width)
        self.stem_down = nn.ModuleList(_conv(width, width, stride=LEVEL_FACTOR) for _ in range(stem_downsamples))
        self.blocks = nn.Sequential(*(ResidualBlock(width) for _ in range(blocks)))
        self.level_down = nn.ModuleList(_conv(width, width, stride=LEVEL_FACTOR) for _ in range(levels - 1))
        self.level_conv = nn.ModuleList(_conv(width, width) for _ in range(levels - 1))

    def forward(self, img: torch.Tensor) -> list[torch.Tensor]:
        """Features, finest level first."""
        x = _lrelu(self.stem_in(img))
        for down in self.stem_down:
            x = _lrelu(down(x))
        features = [self.blocks(x)]
        for down, conv in zip(self.level_down, self.level_conv):
            features.append(_lrelu(conv(_lrelu(down(features[-1])))))
        return features


class DeformableAlign(nn.Module):
    """One pyramid level of one frame: predict offsets + masks, then modulated deformable conv.

    Offset features come from both frames' features (and, below the coarsest level, from the
    upsampled offset features of the coarser level, doubled because displacements double).
    """

    def __init__(self, width: int, deformable_groups: int, has_coarser: bool):
        super().__init__()
        self.deformable_groups = deformable_groups
        self.offset_in = _conv(2 * width, width)
        self.offset_merge = _conv(2 * width if has_coarser else width, width)
        self.offset_head = _conv(width, (OFFSET_COORDS + 1) * deformable_groups * KERNEL_TAPS)
        # Zero offsets and masks of 0.5 at init (as DCNv2 alignment modules do): training starts from
        # a plain convolution and learns displacements, instead of from random ones.
        nn.init.zeros_(self.offset_head.weight)
        nn.init.zeros_(self.offset_head.bias)
        self.weight = nn.Parameter(torch.empty(width, width, KERNEL_SIZE, KERNEL_SIZE))
        self.bias = nn.Parameter(torch.zeros(width))
        nn.init.kaiming_uniform_(self.weight, a=5**0.5)  # nn.Conv2d's default init

    def forward(self, moving: torch.Tensor, other: torch.Tensor, coarser_offset: torch.Tensor | None):
        """(aligned features, offset features for the next finer level)."""
        offset_feat = _lrelu(self.offset_in(torch.cat((moving, other), 1)))
        if coarser_offset is not None:
            offset_feat = torch.cat((offset_feat, _upsample(coarser_offset, LEVEL_FACTOR) * LEVEL_FACTOR), 1)
        offset_feat = _lrelu(self.offset_merge(offset_feat))
        head = self.offset_head(offset_feat)
        split = OFFSET_COORDS * self.deformable_groups * KERNEL_TAPS
        offset, mask = head[:, :split], torch.sigmoid(head[:, split:])
        aligned = deform_conv2d(
            moving, offset, mask, self.weight, self.bias, padding=KERNEL_SIZE // 2, offset_groups=self.deformable_groups
        )
        return aligned, offset_feat


class CrossScaleAlignment(nn.Module):
    """Aligns one frame's pyramid towards the middle, coarse to fine, fusing all coarser levels."""

    def __init__(self, width: int, levels: int, deformable_groups: int):
        super().__init__()
        # Index 0 is the finest level, as in the feature pyramid.
        self.align = nn.ModuleList(DeformableAlign(width, deformable_groups, has_coarser=k < levels - 1) for k in range(levels))
        # Level k fuses its own aligned features with those of the levels - 1 - k coarser levels.
        self.fuse = nn.ModuleList(_conv((levels - k) * width, width) for k in range(levels - 1))

    def forward(self, moving: list[torch.Tensor], other: list[torch.Tensor]) -> torch.Tensor:
        """Aligned features at the finest pyramid level."""
        levels = len(self.align)
        coarser_aligned: list[tuple[int, torch.Tensor]] = []  # (level, aligned) of the levels done
        offset_feat = None
        for k in reversed(range(levels)):
            aligned, offset_feat = self.align[k](moving[k], other[k], offset_feat)
            if coarser_aligned:
                upsampled = [_upsample(a, LEVEL_FACTOR ** (j - k)) for j, a in coarser_aligned]
                aligned = self.fuse[k](torch.cat([aligned, *upsampled], 1))
            if k > 0:
                aligned = _lrelu(aligned)
            coarser_aligned.append((k, aligned))
        return coarser_aligned[-1][1]


class AttentionFusion(nn.Module):
    """fused = m * a0 + (1 - m) * a1 with a per-pixel, per-channel sigmoid mask m from both streams."""

    def __init__(self, width: int):
        super().__init__()
        self.conv1 = _conv(2 * width, width)
        self.conv2 = _conv(width, width)

    def forward(self, aligned0: torch.Tensor, aligned1: torch.Tensor) -> torch.Tensor:
        mask = torch.sigmoid(self.conv2(_lrelu(self.conv1(torch.cat((aligned0, aligned1), 1)))))
        return aligned1 + mask * (aligned0 - aligned1)


class Reconstruction(nn.Module):
    """Residual blocks, then stem_downsamples pixel-shuffle x2 steps back to full resolution, then RGB."""

    def __init__(self, width: int, blocks: int, upsamples: int, upsample_width: int):
        super().__init__()
        self.blocks = nn.Sequential(*(ResidualBlock(width) for _ in range(blocks)))
        outs = [width] * (upsamples - 1) + [upsample_width] if upsamples else []
        ins = [width] + outs[:-1]
        self.up = nn.ModuleList(_conv(i, o * LEVEL_FACTOR**2) for i, o in zip(ins, outs))
        last = outs[-1] if outs else width
        self.conv_hr = _conv(last, last)
        self.conv_out = _conv(last, RGB_CHANNELS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(x)
        for up in self.up:
            x = _lrelu(F.pixel_shuffle(up(x), LEVEL_FACTOR))
        return self.conv_out(_lrelu(self.conv_hr(x)))


class CSPA(nn.Module):
    """CSPA-style interpolation network (middle frame only).

    Args:
        width: feature channels everywhere below full resolution.
        stem_downsamples: stride-2 convolutions of the stem (the finest pyramid level is at
            1 / 2**stem_downsamples); reconstruction upsamples by as many pixel-shuffle steps.
        pyramid_levels: levels of the feature pyramid and of the alignment (paper: 3).
        extract_blocks: residual blocks of the feature extractor.
        reconstruct_blocks: residual blocks of the reconstruction module.
        deformable_groups: offset groups of each deformable convolution (channels sharing one
            offset field and mask); must divide `width`.
        upsample_width: channels of the last upsampling step and the full-resolution convolutions.

    Frames are float RGB in [0, 1], NCHW, with height and width multiples of `pad_multiple`.
    """

    timestep_mode = "fixed"

    def __init__(
        self,
        width: int = 128,
        stem_downsamples: int = 2,
        pyramid_levels: int = 3,
        extract_blocks: int = 5,
        reconstruct_blocks: int = 60,
        deformable_groups: int = 8,
        upsample_width: int = 64,
    ):
        super().__init__()
        if (
            min(width, pyramid_levels, deformable_groups, upsample_width) < 1
            or min(stem_downsamples, extract_blocks, reconstruct_blocks) < 0
        ):
            raise InputError("CSPA hyper-parameters must be positive (block and downsample counts may be 0)")
        if width % deformable_groups:
            raise InputError(f"CSPA deformable_groups ({deformable_groups}) must divide width ({width})")
        self.features = FeaturePyramid(width, stem_downsamples, extract_blocks, pyramid_levels)
        self.align0 = CrossScaleAlignment(width, pyramid_levels, deformable_groups)
        self.align1 = CrossScaleAlignment(width, pyramid_levels, deformable_groups)
        self.fusion = AttentionFusion(width)
        self.reconstruct = Reconstruction(width, reconstruct_blocks, stem_downsamples, upsample_width)
        #: The coarsest pyramid level is at 1 / 2**(stem_downsamples + pyramid_levels - 1), and every
        #: level must upsample exactly onto the next finer one.
        self.pad_multiple = LEVEL_FACTOR ** (stem_downsamples + pyramid_levels - 1)

    def forward(self, img0: torch.Tensor, img1: torch.Tensor, t=0.5) -> torch.Tensor:
        """The middle frame between `img0` and `img1`, [N,3,H,W]. `t` must be 0.5 (float or tensor)."""
        check_middle_timestep(t, "CSPA")
        if not is_tracing():
            self._check_frames(img0, img1)
        pyramid0 = self.features(img0)
        pyramid1 = self.features(img1)
        aligned0 = self.align0(pyramid0, pyramid1)
        aligned1 = self.align1(pyramid1, pyramid0)
        residual = self.reconstruct(self.fusion(aligned0, aligned1))
        return (img0 + img1) / 2 + residual

    def _check_frames(self, img0: torch.Tensor, img1: torch.Tensor) -> None:
        check_frame_pair("CSPA", img0, img1, self.pad_multiple)
