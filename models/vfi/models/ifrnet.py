"""IFRNet: Intermediate Feature Refine Network (Kong et al., CVPR 2022, arXiv 2205.14620).

One pyramid encoder, shared by both input frames, extracts features at 1/2, 1/4, 1/8 and 1/16 of
the working resolution. A chain of decoders then runs coarse to fine. The coarsest decoder sees
both frames' coarsest features and the timestep; every finer decoder sees the previous decoder's
intermediate feature, both frames' features of its level warped by the current intermediate flows
F_t->0 and F_t->1, and those flows. Each decoder (one conv, one residual block whose last channels
take an extra "side" convolution, one 2x transposed conv) jointly outputs an update of both flows
and the next finer intermediate feature; the finest decoder outputs the flows, a blend mask M and a
residual R instead. The frame at t is

    M * warp(I0, F_t->0) + (1 - M) * warp(I1, F_t->1) + R     (frames centred on their mean)

The paper's three sizes differ only in channel widths, the residual blocks' side width and the
first encoder kernel (7x7 for the large model); the catalogue (`vfi.models.catalogue.ifrnet`)
names them. The timestep enters as one constant channel at the coarsest decoder; in "map" mode
(distance indexing, Zhong et al. 2023) a per-pixel distance map [N,1,H,W] is resized to that level
instead. All warping goes through `vfi.kernels.backward_warp`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from vfi.core.errors import InputError
from vfi.kernels import backward_warp
from vfi.models.frame_checks import check_frame_pair, is_tracing, resize
from vfi.models.layers import CONV_KERNEL, TIME_CHANNELS, ConvPReLU, timestep_tensor

RGB_CHANNELS = 3
#: F_t->0 (x, y) in channels 0:2, F_t->1 (x, y) in channels 2:4.
FLOW_CHANNELS = 4
#: One logit per pixel: sigmoid(mask) is the weight of the warped img0 in the blend.
MASK_CHANNELS = 1
RESIDUAL_CHANNELS = RGB_CHANNELS
#: Output of the finest decoder: flows, mask logits, residual.
FINEST_HEAD_CHANNELS = FLOW_CHANNELS + MASK_CHANNELS + RESIDUAL_CHANNELS
#: Feature maps the coarsest decoder concatenates (both frames' features) ...
COARSEST_FEATURE_MAPS = 2
#: ... and every finer decoder (intermediate feature + both frames' warped features).
REFINING_FEATURE_MAPS = 3
#: Every encoder level and every decoder changes the resolution by this factor.
LEVEL_STRIDE = 2
#: Kernel of the decoders' upsampling transposed convolution (stride 2, padding 1: exact x2).
UPSAMPLE_KERNEL = 4

SUPPORTED_TIMESTEP_MODES = ("scalar", "map")


@dataclass
class IFRNetEstimate:
    """Everything `IFRNet.estimate` computes, for training losses and inspection.

    Lists are ordered fine to coarse by pyramid level, at the *working* resolution (the input
    resized by `flow_scale`; equal to the input when flow_scale is 1):

    Attributes:
        frame: the interpolated frame [N,3,H,W] (what `forward` returns).
        flows: per decoder, the accumulated flows [N,4,h,w] in pixels of that level (F_t->0 in
            channels 0:2, F_t->1 in 2:4); `flows[k]` is at 1/2**k of the working resolution, so
            flows[0] is the finest decoder's output and flows[-1] the coarsest. IFRNet's
            task-oriented flow distillation compares each, upsampled by 2**k (values times 2**k),
            with a teacher flow.
        features: the decoders' intermediate features; `features[k]` [N,widths[k],h,w] is at
            1/2**(k+1) of the working resolution, like `encode(imgt, mean)[k]`, which the geometry
            consistency loss compares it with. One fewer than the pyramid levels.
        flow: the final flows at input resolution [N,4,H,W], pixels.
        mask: blend weight of warped img0 [N,1,H,W] in [0, 1].
        residual: the predicted residual [N,3,H,W].
        warped0, warped1: the mean-centred frames warped by the final flows.
        merged: the mask blend of the warped frames plus the mean, before the residual.
        mean: the per-sample mean [N,1,1,1] subtracted from both frames (pass it to `encode`).
    """

    frame: torch.Tensor
    flows: list[torch.Tensor]
    features: list[torch.Tensor]
    flow: torch.Tensor
    mask: torch.Tensor
    residual: torch.Tensor
    warped0: torch.Tensor
    warped1: torch.Tensor
    merged: torch.Tensor
    mean: torch.Tensor


class SideResBlock(nn.Module):
    """IFRNet's residual block: five 3x3 convolutions, the 1st and 3rd over all channels, each
    followed by a convolution of only the last `side_channels` (which carry the intermediate
    feature's most recently updated part), then a residual connection and a PReLU."""

    def __init__(self, channels: int, side_channels: int):
        super().__init__()
        if not 0 < side_channels <= channels:
            raise InputError(f"IFRNet side_channels must be in 1..{channels}; got {side_channels}")
        self.side_channels = side_channels
        self.first = ConvPReLU(channels, channels)
        self.side_first = ConvPReLU(side_channels, side_channels)
        self.second = ConvPReLU(channels, channels)
        self.side_second = ConvPReLU(side_channels, side_channels)
        self.last = nn.Conv2d(channels, channels, CONV_KERNEL, padding=CONV_KERNEL // 2)
        self.act = nn.PReLU(channels)

    def _side(self, x: torch.Tensor, conv: nn.Module) -> torch.Tensor:
        main, side = torch.split(x, [x.shape[1] - self.side_channels, self.side_channels], dim=1)
        return torch.cat((main, conv(side)), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self._side(self.first(x), self.side_first)
        out = self._side(self.second(out), self.side_second)
        return self.act(x + self.last(out))


class Encoder(nn.Module):
    """Feature pyramid: each level halves the resolution (strided conv) and adds one 3x3 conv."""

    def __init__(self, widths: tuple[int, ...], first_kernel: int):
        super().__init__()
        ins = (RGB_CHANNELS,) + tuple(widths[:-1])
        kernels = (first_kernel,) + (CONV_KERNEL,) * (len(widths) - 1)
        self.levels = nn.ModuleList(
            nn.Sequential(ConvPReLU(i, o, k, stride=LEVEL_STRIDE), ConvPReLU(o, o)) for i, o, k in zip(ins, widths, kernels)
        )

    def forward(self, img: torch.Tensor) -> list[torch.Tensor]:
        """Features of `img`, fine to coarse: level k at 1/2**(k+1) of its resolution."""
        features = []
        x = img
        for level in self.levels:
            x = level(x)
            features.append(x)
        return features


class Decoder(nn.Module):
    """Conv + side residual block at one pyramid level, then a 2x transposed conv to the next
    finer level that outputs flow updates and the next intermediate feature (or mask/residual)."""

    def __init__(self, in_channels: int, width: int, side_channels: int, out_channels: int):
        super().__init__()
        self.fuse = ConvPReLU(in_channels, width)
        self.body = SideResBlock(width, side_channels)
        self.up = nn.ConvTranspose2d(width, out_channels, UPSAMPLE_KERNEL, stride=LEVEL_STRIDE, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.up(self.body(self.fuse(x)))


class IFRNet(nn.Module):
    """IFRNet frame interpolation network.

    Args:
        widths: encoder channel width per pyramid level, fine to coarse (the paper: 4 levels;
            S (24, 36, 54, 72), M (32, 48, 72, 96), L (64, 96, 144, 192)). The decoder at level k
            is REFINING_FEATURE_MAPS * widths[k] wide (COARSEST_FEATURE_MAPS * widths[-1] at the
            coarsest level), as its input concatenates that many width-k feature maps.
        side_channels: width of the residual blocks' side convolutions (S 24, M 32, L 64).
        first_kernel: kernel size of the first encoder convolution (S/M 3, L 7).
        flow_scale: resolution at which the network works, relative to the input (the reference's
            `scale_factor`); 0.5 or 0.25 for 4K input. A power of two <= 1; flows, mask and
            residual are resized back to the input resolution.
        timestep_mode: "scalar" (t is a float, [N] or [N,1,1,1]; the paper) or "map" (distance
            indexing: t may also be a per-pixel map [N,1,H,W], resized to the coarsest level).

    Frames are float RGB in [0, 1], NCHW, with height and width multiples of `pad_multiple`.
    """

    def __init__(
        self,
        widths: tuple[int, ...] = (32, 48, 72, 96),
        side_channels: int = 32,
        first_kernel: int = CONV_KERNEL,
        flow_scale: float = 1.0,
        timestep_mode: str = "scalar",
    ):
        super().__init__()
        widths = tuple(int(w) for w in widths)
        if len(widths) < 2 or min(widths) <= 0:
            raise InputError(f"IFRNet widths must list at least 2 positive channel counts; got {widths}")
        if first_kernel < 1 or first_kernel % 2 == 0:
            raise InputError(f"IFRNet first_kernel must be an odd size; got {first_kernel}")
        mantissa, _ = math.frexp(flow_scale)
        if not (0 < flow_scale <= 1 and mantissa == 0.5):
            raise InputError(f"IFRNet flow_scale must be a power of two <= 1 (1, 0.5, 0.25, ...); got {flow_scale}", "flow_scale")
        if timestep_mode not in SUPPORTED_TIMESTEP_MODES:
            raise InputError(f"IFRNet timestep_mode must be one of {', '.join(SUPPORTED_TIMESTEP_MODES)}; got {timestep_mode!r}")
        self.widths = widths
        self.flow_scale = float(flow_scale)
        self.timestep_mode = timestep_mode
        self.encoder = Encoder(widths, first_kernel)

        # Decoders, fine to coarse (decoders[k] runs at pyramid level k + 1 and outputs at level k).
        decoders = []
        for level, width in enumerate(widths):
            coarsest = level == len(widths) - 1
            if coarsest:
                in_channels = COARSEST_FEATURE_MAPS * width + TIME_CHANNELS
                body_width = COARSEST_FEATURE_MAPS * width
            else:
                in_channels = REFINING_FEATURE_MAPS * width + FLOW_CHANNELS
                body_width = REFINING_FEATURE_MAPS * width
            out_channels = FINEST_HEAD_CHANNELS if level == 0 else FLOW_CHANNELS + widths[level - 1]
            decoders.append(Decoder(in_channels, body_width, side_channels, out_channels))
        self.decoders = nn.ModuleList(decoders)
        #: The encoder halves len(widths) times at the working resolution (input * flow_scale).
        self.pad_multiple = int(LEVEL_STRIDE ** len(widths) / self.flow_scale)

    def forward(self, img0: torch.Tensor, img1: torch.Tensor, t=0.5) -> torch.Tensor:
        """The frame at `t` between `img0` (t=0) and `img1` (t=1), [N,3,H,W].

        `t` is a float, an [N] tensor, an [N,1,1,1] tensor, or (timestep_mode "map") an [N,1,H,W]
        distance map.
        """
        return self.estimate(img0, img1, t).frame

    def encode(self, img: torch.Tensor, mean: torch.Tensor | float = 0.0) -> list[torch.Tensor]:
        """Encoder features of an arbitrary image (e.g. the ground-truth frame for the geometry
        consistency loss), fine to coarse, at the working resolution: level k is 1/2**(k+1).

        `mean`: subtract this first; pass `estimate(...).mean` so that the features are comparable
        with those the decoders reconstruct (the network sees mean-centred frames).
        """
        x = img - mean
        if self.flow_scale != 1.0:
            x = resize(x, self.flow_scale)
        return self.encoder(x)

    def estimate(self, img0: torch.Tensor, img1: torch.Tensor, t=0.5) -> IFRNetEstimate:
        """Like `forward`, returning the intermediates as well (see `IFRNetEstimate`)."""
        if not is_tracing():
            self._check_frames(img0, img1)
        # Per-sample mean over channels and pixels of both frames; the network sees centred frames.
        mean = (img0.mean(dim=(1, 2, 3), keepdim=True) + img1.mean(dim=(1, 2, 3), keepdim=True)) / 2
        img0 = img0 - mean
        img1 = img1 - mean
        feats0 = self.encode(img0)
        feats1 = self.encode(img1)

        coarsest = len(self.widths) - 1
        timestep = self._timestep_channel(t, img0, feats0[coarsest])
        out = self.decoders[coarsest](torch.cat((feats0[coarsest], feats1[coarsest], timestep), 1))
        flow = out[:, :FLOW_CHANNELS]
        flows = [flow]
        features = [out[:, FLOW_CHANNELS:]]
        for level in range(coarsest - 1, -1, -1):
            feature = features[0]
            warped0 = backward_warp(feats0[level], flow[:, 0:2])
            warped1 = backward_warp(feats1[level], flow[:, 2:4])
            out = self.decoders[level](torch.cat((feature, warped0, warped1, flow), 1))
            flow = out[:, :FLOW_CHANNELS] + LEVEL_STRIDE * resize(flow, LEVEL_STRIDE)
            flows.insert(0, flow)
            if level > 0:
                features.insert(0, out[:, FLOW_CHANNELS:])
        mask = torch.sigmoid(out[:, FLOW_CHANNELS : FLOW_CHANNELS + MASK_CHANNELS])
        residual = out[:, FLOW_CHANNELS + MASK_CHANNELS : FINEST_HEAD_CHANNELS]
        if self.flow_scale != 1.0:
            back = 1.0 / self.flow_scale
            flow = resize(flow, back) * back
            mask = resize(mask, back)
            residual = resize(residual, back)
        warped0 = backward_warp(img0, flow[:, 0:2])
        warped1 = backward_warp(img1, flow[:, 2:4])
        merged = mask * warped0 + (1 - mask) * warped1 + mean
        frame = torch.clamp(merged + residual, 0, 1)
        return IFRNetEstimate(
            frame=frame,
            flows=flows,
            features=features,
            flow=flow,
            mask=mask,
            residual=residual,
            warped0=warped0,
            warped1=warped1,
            merged=merged,
            mean=mean,
        )

    def _timestep_channel(self, t, frame: torch.Tensor, coarsest: torch.Tensor) -> torch.Tensor:
        """`t` as one channel [N,1,h,w] at the coarsest level (`coarsest` gives N, h, w)."""
        n, _, h, w = coarsest.shape
        t = timestep_tensor(t, coarsest)
        if t.shape[-2:] == (1, 1):
            return t.expand(n, TIME_CHANNELS, h, w)
        if self.timestep_mode != "map":
            raise InputError(
                "this IFRNet takes a scalar timestep (a float, [N] or [N,1,1,1]); per-pixel distance maps "
                "need a distance-indexing variant (e.g. ifrnet-di)"
            )
        if not is_tracing() and t.shape[-2:] != frame.shape[-2:]:
            raise InputError(
                f"distance map is {t.shape[-1]}x{t.shape[-2]} but the frames are {frame.shape[-1]}x{frame.shape[-2]}"
            )
        # Bilinear, as the distance-indexing reference resizes its map; a uniform map stays t.
        return resize(t, self.flow_scale / LEVEL_STRIDE ** len(self.widths)).expand(n, TIME_CHANNELS, h, w)

    def _check_frames(self, img0: torch.Tensor, img1: torch.Tensor) -> None:
        check_frame_pair("IFRNet", img0, img1, self.pad_multiple)
