"""UGSP: Uncertainty-Guided Spatial Pruning for efficient frame interpolation (Cheng et al., ACM MM
2023, arXiv 2307.16555).

An IFRNet-like network: one pyramid encoder shared by both frames (1/2 ... 1/16 of the input), then
one decoder per level, coarse to fine. Each decoder warps both frames' features of its level by the
current intermediate flows, runs a densely connected stack of 3x3 convolutions, and a 1x1 head that
outputs a flow update and the next (finer) intermediate feature, both upsampled 2x. The finest
decoder ends in a 2x transposed convolution that outputs the flows, a blend mask and an RGB residual:

    frame = M * warp(I0, F_t->0) + (1 - M) * warp(I1, F_t->1) + R     (frames centred on their mean)

**Spatial pruning.** Every decoder except the finest also emits one *uncertainty logit* per pixel of
the next finer level (a 3x3 conv on its output feature). The next decoder computes its convolutions
only at the positions selected from those logits (`vfi.kernels.sparse_conv2d`); elsewhere its
convolution outputs are zero and its head falls back to "no flow update", i.e. the upsampled coarse
flow is reused as it is, and the uncertainty logits of skipped positions are the coarse ones. The
coarsest decoder, the encoder, the warps and the final transposed convolution stay dense (as in the
reference code's FLOP accounting). Positions are selected either

  * ``mask_mode="topk"`` (default): the ``density`` (S_t) fraction of positions with the highest
    uncertainty, per sample and per level, so the resource knob is honoured exactly for any input;
  * ``mask_mode="threshold"``: sigmoid(logit) > 0.5, nested inside the coarser level's mask, which is
    the reference implementation's inference rule (its density is whatever training made it; the
    training loss pulls its mean towards S_t).

At inference the sparse op computes only the active outputs; in training mode the same op
differentiates the dense masked form ``where(mask, conv2d(x), fallback)`` (see the op's `torch_op`).

**Uncertainty estimation network (UEN).** A small network that estimates the per-pixel log-variance
s of the frame error (heteroscedastic Laplace likelihood, loss ``|I - I_gt| * exp(-s) + s``). It runs
only in training mode: pooled to each pruned level, its S_t most uncertain positions are the mask
labels P_k that supervise the decoders' uncertainty logits (`UGSP.training_losses`). It costs nothing
at inference and is not in the exported graph, but its weights live in the checkpoint.

The reference's self-contrast auxiliary (a second, unpruned pass whose features supervise the pruned
ones) is a training recipe, not part of this module.

All warping goes through `vfi.kernels.backward_warp`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from vfi.core.errors import InputError
from vfi.kernels import backward_warp

# Registers the op and its mask-aware FLOP formula now: a FlopCounterMode entered before the op's
# first (lazy) import would otherwise not count the sparse convolutions at all.
from vfi.kernels.sparse_conv2d import torch_op as _sparse_conv2d_op  # noqa: F401
from vfi.models.frame_checks import check_frame_pair, is_tracing, resize

# UGSP's decoders are IFRNet's with uncertainty heads: the channel layout is IFRNet's.
from vfi.models.ifrnet import (
    COARSEST_FEATURE_MAPS,
    FINEST_HEAD_CHANNELS,
    FLOW_CHANNELS,
    LEVEL_STRIDE,
    MASK_CHANNELS,
    REFINING_FEATURE_MAPS,
    RGB_CHANNELS,
    UPSAMPLE_KERNEL,
    Encoder,
)
from vfi.models.layers import CONV_KERNEL, TIME_CHANNELS, ConvPReLU, masked_conv, timestep_tensor

#: One uncertainty logit per pixel of the next finer level (higher = harder = computed).
UNCERTAINTY_CHANNELS = 1
#: Frames fed to the UEN: both inputs, both warped inputs, and the prediction.
UEN_INPUTS = 5 * RGB_CHANNELS

MASK_MODES = ("topk", "threshold")
SUPPORTED_TIMESTEP_MODES = ("scalar", "fixed")
#: `mask_mode="threshold"`: a position is computed where sigmoid(uncertainty logit) exceeds this.
UNCERTAINTY_THRESHOLD = 0.5

#: Default weights of `training_losses` terms (reconstruction has weight 1). Knobs of this
#: implementation, not figures from the paper.
LOSS_WEIGHTS = {"uncertainty": 0.1, "mask_label": 0.05, "density": 0.1}
CHARBONNIER_EPS = 1e-3


@dataclass
class UGSPEstimate:
    """Everything `UGSP.estimate` computes, for training losses, cost reports and inspection.

    Per-level lists are indexed by pyramid level k (0 = finest, at 1/2**(k+1) of the input):

    Attributes:
        frame: the interpolated frame [N,3,H,W] (what `forward` returns).
        flows: accumulated flows per level, `flows[k]` [N,4,h,w] at 1/2**k of the input (pixels of
            that level), flows[0] the final one; the coarsest decoder's output is flows[-1].
        features: the decoders' intermediate features, `features[k]` at 1/2**(k+1) of the input
            (like `encode(imgt, mean)[k]`), one fewer than the levels.
        uncertainty_logits: per pruned level k (all but the coarsest), the logits [N,1,h,w] from
            which that level's mask was selected.
        masks: per pruned level k, the bool mask [N,1,h,w] of positions that level computed.
        mask: blend weight of warped img0 [N,1,H,W] in [0, 1].
        residual: the predicted residual [N,3,H,W].
        warped0, warped1: the mean-centred frames warped by the final flows.
        merged: the mask blend of the warped frames plus the mean, before the residual.
        mean: the per-sample mean [N,1,1,1] subtracted from both frames.
        log_variance: training mode only: the UEN's per-pixel log-variance [N,1,H,W]; else None.
    """

    frame: torch.Tensor
    flows: list[torch.Tensor]
    features: list[torch.Tensor]
    uncertainty_logits: list[torch.Tensor]
    masks: list[torch.Tensor]
    mask: torch.Tensor
    residual: torch.Tensor
    warped0: torch.Tensor
    warped1: torch.Tensor
    merged: torch.Tensor
    mean: torch.Tensor
    log_variance: torch.Tensor | None = None

    def active_fractions(self) -> list[float]:
        """Measured fraction of computed positions per pruned level (fine to coarse)."""
        return [float(m.float().mean()) for m in self.masks]


class DenseStack(nn.Module):
    """A 3x3 ConvPReLU from the input to `width`, then `depth` more; returns every stage's output
    concatenated (the reference decoders' dense connection into their 1x1 head). Computed only where
    `mask` is set when one is given; zero elsewhere."""

    def __init__(self, in_channels: int, width: int, depth: int, bias: bool):
        super().__init__()
        self.stem = ConvPReLU(in_channels, width, bias=bias)
        self.layers = nn.ModuleList(ConvPReLU(width, width, bias=bias) for _ in range(depth))
        self.out_channels = width * (depth + 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self.stem(x, mask)
        stages = [x]
        for layer in self.layers:
            x = layer(x, mask)
            stages.append(x)
        return torch.cat(stages, 1)


class Decoder(nn.Module):
    """One coarse or intermediate level: dense stack, 1x1 head (flow update + next feature), and a
    3x3 uncertainty head on the new feature; all outputs upsampled 2x (bilinear) to the next level.

    A pruned decoder (given a mask) has bias-free 3x3 convolutions, as in the reference, so that
    skipped positions are exactly zero; its head falls back to a zero flow update (the coarse flow
    is reused) and to the head's bias for the feature channels (what the dense head outputs on the
    zeroed features); its uncertainty head falls back to the coarse logits.
    """

    def __init__(self, in_channels: int, width: int, depth: int, out_feature: int, pruned: bool):
        super().__init__()
        self.pruned = pruned
        self.body = DenseStack(in_channels, width, depth, bias=not pruned)
        self.head = nn.Conv2d(self.body.out_channels, FLOW_CHANNELS + out_feature, kernel_size=1)
        self.uncertainty = nn.Conv2d(out_feature, UNCERTAINTY_CHANNELS, CONV_KERNEL, padding=CONV_KERNEL // 2)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, logits: torch.Tensor | None = None):
        """Returns (flow update, next feature, next level's uncertainty logits), all at 2x resolution.

        `logits`: the uncertainty logits `mask` was selected from; skipped positions keep them (the
        coarse estimate is reused), which also keeps the next level's scores free of ties.
        """
        stack = self.body(x, mask)
        fallback = None
        if mask is not None:
            n, _, h, w = stack.shape
            bias = self.head.bias.to(stack.dtype)
            keep = torch.cat((torch.zeros_like(bias[:FLOW_CHANNELS]), bias[FLOW_CHANNELS:]))
            fallback = keep.view(1, -1, 1, 1).expand(n, -1, h, w)
        out = masked_conv(stack, self.head, mask, fallback)
        logits = masked_conv(out[:, FLOW_CHANNELS:], self.uncertainty, mask, logits)
        out = resize(out, LEVEL_STRIDE)
        return out[:, :FLOW_CHANNELS], out[:, FLOW_CHANNELS:], resize(logits, LEVEL_STRIDE)


class FinestDecoder(nn.Module):
    """The finest level: pruned dense stack, 1x1 fusion (+PReLU), 2x transposed conv to the flows,
    blend-mask logits and residual at the working resolution."""

    def __init__(self, in_channels: int, depth: int):
        super().__init__()
        self.body = DenseStack(in_channels, in_channels, depth, bias=False)
        self.fuse = nn.Conv2d(self.body.out_channels, in_channels, kernel_size=1)
        self.act = nn.PReLU(in_channels)
        self.up = nn.ConvTranspose2d(in_channels, FINEST_HEAD_CHANNELS, UPSAMPLE_KERNEL, stride=LEVEL_STRIDE, padding=1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        stack = self.body(x, mask)
        fallback = None
        if mask is not None:
            n, _, h, w = stack.shape
            fallback = self.fuse.bias.to(stack.dtype).view(1, -1, 1, 1).expand(n, -1, h, w)
        return self.up(self.act(masked_conv(stack, self.fuse, mask, fallback)))


class UncertaintyNet(nn.Module):
    """UEN: per-pixel log-variance of the frame error from the inputs, their warps and the prediction."""

    def __init__(self, width: int, depth: int):
        super().__init__()
        self.down = ConvPReLU(UEN_INPUTS, width, stride=LEVEL_STRIDE)
        self.body = nn.Sequential(*(ConvPReLU(width, width) for _ in range(depth)))
        self.up = nn.ConvTranspose2d(width, UNCERTAINTY_CHANNELS, UPSAMPLE_KERNEL, stride=LEVEL_STRIDE, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.up(self.body(self.down(x)))


class UGSP(nn.Module):
    """UGSP frame interpolation network (IFRNet-like, uncertainty-guided spatially sparse decoders).

    Args:
        widths: encoder channel width per pyramid level, fine to coarse (reference: 32, 48, 72, 96).
            The coarsest decoder is COARSEST_FEATURE_MAPS * widths[-1] wide; the decoder at level k
            is REFINING_FEATURE_MAPS * widths[k] + FLOW_CHANNELS wide (its input width).
        decoder_depth: 3x3 convolutions after the first one in each non-finest decoder (reference 5).
        finest_depth: the same for the finest decoder (reference 4).
        density: S_t, the fraction of positions each pruned level computes, in (0, 1]; 1 is dense.
        mask_mode: "topk" (exactly `density` per sample and level) or "threshold" (the reference's
            sigmoid > 0.5 rule, nested in the coarser mask; `density` is then the training target).
        uen_width, uen_depth: width and depth of the uncertainty estimation network (training only).
        timestep_mode: "scalar" (any t; one constant timestep channel at the coarsest decoder, as
            IFRNet) or "fixed" (the reference UGSP, trained on triplets: no timestep input, t = 0.5).

    Frames are float RGB in [0, 1], NCHW, with height and width multiples of `pad_multiple`.
    """

    def __init__(
        self,
        widths: tuple[int, ...] = (32, 48, 72, 96),
        decoder_depth: int = 5,
        finest_depth: int = 4,
        density: float = 0.35,
        mask_mode: str = "topk",
        uen_width: int = 16,
        uen_depth: int = 2,
        timestep_mode: str = "scalar",
    ):
        super().__init__()
        widths = tuple(int(w) for w in widths)
        if len(widths) < 2 or min(widths) <= 0:
            raise InputError(f"UGSP widths must list at least 2 positive channel counts; got {widths}")
        if not 0.0 < float(density) <= 1.0:
            raise InputError(f"UGSP density (S_t, the kept fraction) must be in (0, 1]; got {density}")
        if mask_mode not in MASK_MODES:
            raise InputError(f"UGSP mask_mode must be one of {', '.join(MASK_MODES)}; got {mask_mode!r}")
        if timestep_mode not in SUPPORTED_TIMESTEP_MODES:
            raise InputError(f"UGSP timestep_mode must be one of {', '.join(SUPPORTED_TIMESTEP_MODES)}; got {timestep_mode!r}")
        self.widths = widths
        self.density = float(density)
        self.mask_mode = mask_mode
        self.timestep_mode = timestep_mode
        # The pyramid encoder is IFRNet's (3x3 first layer), as in UGSP's reference code.
        self.encoder = Encoder(widths, first_kernel=CONV_KERNEL)

        coarsest = len(widths) - 1
        time_channels = TIME_CHANNELS if timestep_mode == "scalar" else 0
        top_width = COARSEST_FEATURE_MAPS * widths[coarsest]
        decoders: list[nn.Module] = []
        for level in range(len(widths)):
            refining = REFINING_FEATURE_MAPS * widths[level] + FLOW_CHANNELS
            if level == 0:
                decoders.append(FinestDecoder(refining, finest_depth))
            elif level == coarsest:
                decoders.append(Decoder(top_width + time_channels, top_width, decoder_depth, widths[level - 1], pruned=False))
            else:
                decoders.append(Decoder(refining, refining, decoder_depth, widths[level - 1], pruned=True))
        #: decoders[k] runs at pyramid level k (1/2**(k+1) of the input); all but the last are pruned.
        self.decoders = nn.ModuleList(decoders)
        self.uen = UncertaintyNet(uen_width, uen_depth)
        self.pad_multiple = LEVEL_STRIDE ** len(widths)

    # ------------------------------------------------------------------------------------------
    def forward(self, img0: torch.Tensor, img1: torch.Tensor, t=0.5) -> torch.Tensor:
        """The frame at `t` between `img0` (t=0) and `img1` (t=1), [N,3,H,W]; `t` a float or [N]."""
        return self.estimate(img0, img1, t).frame

    def encode(self, img: torch.Tensor, mean: torch.Tensor | float = 0.0) -> list[torch.Tensor]:
        """Encoder features of `img - mean`, fine to coarse (level k at 1/2**(k+1))."""
        return self.encoder(img - mean)

    def estimate(self, img0: torch.Tensor, img1: torch.Tensor, t=0.5) -> UGSPEstimate:
        """Like `forward`, returning the intermediates as well (see `UGSPEstimate`)."""
        if not is_tracing():
            self._check_frames(img0, img1)
        mean = (img0.mean(dim=(1, 2, 3), keepdim=True) + img1.mean(dim=(1, 2, 3), keepdim=True)) / 2
        c0, c1 = img0 - mean, img1 - mean
        feats0, feats1 = self.encoder(c0), self.encoder(c1)

        coarsest = len(self.widths) - 1
        top = torch.cat((feats0[coarsest], feats1[coarsest]), 1)
        if self.timestep_mode == "scalar":
            top = torch.cat((top, self._timestep_channel(t, top)), 1)
        else:
            from vfi.models.fixed_timestep import check_middle_timestep

            check_middle_timestep(t, "UGSP (timestep_mode 'fixed')")
        flow, feature, logits = self.decoders[coarsest](top)
        flows, features = [flow], [feature]
        logits_per_level: list[torch.Tensor] = []
        masks: list[torch.Tensor] = []
        parent = None
        out = None
        for level in range(coarsest - 1, -1, -1):
            mask = self._select(logits, parent)
            logits_per_level.insert(0, logits)
            masks.insert(0, mask)
            warped0 = backward_warp(feats0[level], flow[:, 0:2])
            warped1 = backward_warp(feats1[level], flow[:, 2:4])
            x = torch.cat((warped0, warped1, feature, flow), 1)
            coarse_flow = LEVEL_STRIDE * resize(flow, LEVEL_STRIDE)
            if level > 0:
                update, feature, logits = self.decoders[level](x, mask, logits)
                features.insert(0, feature)
            else:
                out = self.decoders[0](x, mask)
                update = out[:, :FLOW_CHANNELS]
            flow = update + coarse_flow
            flows.insert(0, flow)
            parent = mask
        blend = torch.sigmoid(out[:, FLOW_CHANNELS : FLOW_CHANNELS + MASK_CHANNELS])
        residual = out[:, FLOW_CHANNELS + MASK_CHANNELS : FINEST_HEAD_CHANNELS]
        warped0 = backward_warp(c0, flow[:, 0:2])
        warped1 = backward_warp(c1, flow[:, 2:4])
        merged = blend * warped0 + (1 - blend) * warped1 + mean
        frame = torch.clamp(merged + residual, 0, 1)
        log_variance = None
        if self.training:
            # The UEN learns the error of the prediction, not to change it: its inputs are detached.
            uen_in = torch.cat((c0, c1, warped0, warped1, frame - mean), 1).detach()
            log_variance = self.uen(uen_in)
        return UGSPEstimate(
            frame=frame,
            flows=flows,
            features=features,
            uncertainty_logits=logits_per_level,
            masks=masks,
            mask=blend,
            residual=residual,
            warped0=warped0,
            warped1=warped1,
            merged=merged,
            mean=mean,
            log_variance=log_variance,
        )

    # ------------------------------------------------------------------------------------------
    def _select(self, logits: torch.Tensor, parent: torch.Tensor | None) -> torch.Tensor:
        """The bool mask [N,1,h,w] of positions a pruned level computes, from its uncertainty logits."""
        if self.mask_mode == "topk":
            if self.density >= 1.0:
                return torch.ones_like(logits, dtype=torch.bool)
            return topk_mask(logits, self.density)
        mask = torch.sigmoid(logits) > UNCERTAINTY_THRESHOLD
        if parent is not None:
            # Nested, as the reference: a position skipped at the coarser level stays skipped.
            mask = mask & F.interpolate(parent.to(logits.dtype), scale_factor=LEVEL_STRIDE, mode="nearest").bool()
        return mask

    def training_losses(self, est: UGSPEstimate, gt: torch.Tensor, weights: dict | None = None) -> dict:
        """The UGSP training objective for one estimate (made in training mode) and its ground truth.

        Terms: ``reconstruction`` (Charbonnier on the frame); ``uncertainty`` (L_su: heteroscedastic
        Laplace likelihood of the frame error under the UEN's log-variance); ``mask_label`` (L_ugm:
        binary cross-entropy of each pruned level's uncertainty logits against P_k, the S_t most
        uncertain positions of the UEN's log-variance pooled to that level); ``density`` (L_s: mean
        |mean sigmoid(logits) - S_t| over levels). ``total`` is their weighted sum (`LOSS_WEIGHTS`).
        """
        if est.log_variance is None:
            raise InputError("training_losses needs an estimate made in training mode (model.train())")
        w = {**LOSS_WEIGHTS, **(weights or {})}
        recon = torch.sqrt((est.frame - gt) ** 2 + CHARBONNIER_EPS**2).mean()
        s = est.log_variance
        error = (est.frame.detach() - gt).abs().mean(dim=1, keepdim=True)
        uncertainty = (error * torch.exp(-s) + s).mean()
        label_loss = est.frame.new_zeros(())
        density_loss = est.frame.new_zeros(())
        for logits in est.uncertainty_logits:
            pooled = F.adaptive_avg_pool2d(s.detach(), logits.shape[-2:])
            labels = topk_mask(pooled, self.density).to(logits.dtype) if self.density < 1 else torch.ones_like(logits)
            label_loss = label_loss + F.binary_cross_entropy_with_logits(logits, labels)
            density_loss = density_loss + (torch.sigmoid(logits).mean() - self.density).abs()
        levels = max(1, len(est.uncertainty_logits))
        label_loss, density_loss = label_loss / levels, density_loss / levels
        total = recon + w["uncertainty"] * uncertainty + w["mask_label"] * label_loss + w["density"] * density_loss
        return {
            "total": total,
            "reconstruction": recon,
            "uncertainty": uncertainty,
            "mask_label": label_loss,
            "density": density_loss,
        }

    def _timestep_channel(self, t, like: torch.Tensor) -> torch.Tensor:
        n, _, h, w = like.shape
        t = timestep_tensor(t, like)
        if t.shape[1:] != (TIME_CHANNELS, 1, 1):
            raise InputError(f"UGSP takes a scalar timestep (a float, [N] or [N,1,1,1] tensor); got shape {tuple(t.shape)}")
        return t.expand(n, TIME_CHANNELS, h, w)

    def _check_frames(self, img0: torch.Tensor, img1: torch.Tensor) -> None:
        check_frame_pair("UGSP", img0, img1, self.pad_multiple)


def topk_mask(scores: torch.Tensor, density: float) -> torch.Tensor:
    """Bool mask [N,1,h,w]: per sample, the ceil(density * h * w) highest `scores` (ties included).

    Exports as ONNX TopK (k fixed by the traced size) + GreaterOrEqual.
    """
    n = scores.shape[0]
    flat = scores.reshape(n, -1)
    k = max(1, min(flat.shape[1], math.ceil(density * flat.shape[1])))
    kth = torch.topk(flat, k, dim=1).values[:, k - 1 :]
    return scores >= kth.reshape(n, 1, 1, 1)
