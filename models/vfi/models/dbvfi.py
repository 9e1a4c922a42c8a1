"""DBVFI: Deep Bayesian Video Frame Interpolation (Yu et al., ECCV 2022; reference code Oceanlib/DBVI, MIT).

Four input frames I_-1, I_0, I_1, I_2; the frame at t in (0, 1) between I_0 and I_1.

**Initial motion.** A frozen RAFT estimates F_0->1, F_0->-1, F_1->0 and F_1->2 (pixels, forward
direction: a pixel p of frame 0 moves to p + F_0->1(p) in frame 1). Quadratic (constant
acceleration) motion through the three frames around each end gives the flows from the end frames
to time t, forward direction:

    F_0->t = (F_0->1 + F_0->-1)/2 * t^2       + (F_0->1 - F_0->-1)/2 * t
    F_1->t = (F_1->0 + F_1->2)/2  * (1 - t)^2 + (F_1->0 - F_1->2)/2  * (1 - t)

so F_0->0 = 0, F_0->1 = F_0->1, F_1->1 = 0 and F_1->0 = F_1->0.

**Refinement (unrolled gradient descent).** The estimate I_t starts at zero (the frames' mean, as the
network works on mean-centred frames in [-1, 1]) and K steps refine it. Each step has its own
subnet (weights are not shared across steps) and does:

  1. image-gradient term, for k in {0, 1}: backward-warp the current I_t onto frame k with F_k->t,
     take the residual I_k - warp(I_t) where the sampling point lies inside the frame (0 outside),
     and forward-splat it back to time t with F_k->t ("avg" splatting: normalised by the summed
     bilinear weights, no metric). This is the negative gradient of the data term
     1/2 |I_k - warp(I_t, F_k->t)|^2 with respect to I_t, pushed to time t. The two terms enter
     weighted by (1 - t) and t.
  2. flow-gradient term: the subnet predicts a Gaussian prior (mean mu, precision sigmoid(s)) over
     the 1x1-rotated flow-error state W dF from its feature; W^T ((W dF - mu) * sigmoid(s)) is the
     gradient of that Gaussian energy with respect to dF, compressed to a few channels by a 1x1 conv.
  3. the subnet (a 3x3 conv over [I_0, I_1, I_t, both image gradients, F_0->t, F_1->t, feature,
     flow gradient], two style-modulated residual U-Net blocks, two 3x3 convs) outputs the next
     feature, an update of I_t and an update of dF; the first 4 channels of the dF update are added
     to F_0->t (0:2) and F_1->t (2:4).

Every step's I_t is a prediction; training minimises sum_k alpha_k * L1(I_t^(k), I_t^gt) (`alphas`;
`estimate` returns all of them). The 2x model has K = 6 (alpha = 1 each), the 8x model K = 4
(0.2, 0.4, 1, 1) and is meant to be run at t = j/8; both take any t.

**Differences from the reference code.** It needs CuPy (softmax-splatting kernel) and calls
`torch.slogdet` on W twice per step; the log-determinant is returned by its invertible 1x1 conv and
discarded (it would matter only for a normalising-flow likelihood, which DBVFI never evaluates), so
it is dropped here: outputs are unchanged. Splatting goes through `vfi.kernels.forward_splat`,
warping through `vfi.kernels.backward_warp`, with the reference's in-frame mask (its zero-padded
sampling of a ones image thresholded at 0.9999) written as explicit coordinate comparisons. The
reference feeds RAFT its mean-centred [-1, 1] frames; `vfi.models.raft.RAFT` takes [0, 1] frames
and maps them to [-1, 1] itself, so it is fed the same values shifted back by 1/2 (see
`initial_flows`). The reference pads to a multiple of 8 by reflection internally and estimates flow
at half resolution for frames of 2048x1080 and larger (a shape-dependent branch); here the pipeline
pads (replicate) and flow is always full resolution. No shape- or data-dependent Python control
flow, no in-place updates, so the graph exports with dynamic N, H, W.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vfi.core.errors import InputError
from vfi.kernels.backward_warp import backward_warp
from vfi.kernels.forward_splat import forward_splat
from vfi.models.flow_estimators import create_flow_estimator, load_flow_estimator
from vfi.models.frame_checks import check_frame_pair, is_tracing
from vfi.models.layers import CONV_KERNEL, timestep_tensor

RGB_CHANNELS = 3
FLOW_XY = 2
#: F_0->t (x, y) and F_1->t (x, y): the leading channels of the flow-error state dF.
FLOW_CHANNELS = 2 * FLOW_XY
#: Every normalisation in the subnets is GroupNorm with this many groups (widths must divide).
NORM_GROUPS = 4
#: The U-Net blocks halve the resolution three times (stride-2 convs; nearest x2 upsampling back).
UNET_LEVELS = 3
DOWN_STRIDE = 2
#: RAFT works at 1/8 and the U-Nets halve 3 times: frames must be multiples of 8.
PAD_MULTIPLE = 8
#: Negative slope the reference's Kaiming initialisation assumes (leaky-ReLU gain).
INIT_SLOPE = 0.2
#: The reference's in-frame mask keeps samples whose zero-padded bilinear weight sum is >= 0.9999.
IN_FRAME_TOLERANCE = 1e-4

#: Steps and per-step loss weights of the reference configurations.
STEPS_2X = 6
ALPHAS_2X = (1.0,) * STEPS_2X
STEPS_8X = 4
ALPHAS_8X = (0.2, 0.4, 1.0, 1.0)


def quadratic_flows(f01, f0m1, f10, f12, t):
    """F_0->t and F_1->t from the four neighbour flows under constant acceleration (module docstring).

    `t` broadcasts against the flows ([N,1,1,1] or a float)."""
    s = 1 - t
    f0t = (f01 + f0m1) / 2 * (t * t) + (f01 - f0m1) / 2 * t
    f1t = (f10 + f12) / 2 * (s * s) + (f10 - f12) / 2 * s
    return f0t, f1t


def in_frame(flow: torch.Tensor) -> torch.Tensor:
    """[N,1,H,W] 1 where p + flow(p) lies inside the frame (coordinates 0..W-1, 0..H-1), else 0."""
    _, _, h, w = flow.shape
    xs = torch.arange(w, device=flow.device, dtype=flow.dtype).view(1, 1, 1, w)
    ys = torch.arange(h, device=flow.device, dtype=flow.dtype).view(1, 1, h, 1)
    x = xs + flow[:, 0:1]
    y = ys + flow[:, 1:2]
    lo = -IN_FRAME_TOLERANCE
    inside = (x >= lo) & (x <= (w - 1) + IN_FRAME_TOLERANCE) & (y >= lo) & (y <= (h - 1) + IN_FRAME_TOLERANCE)
    return inside.to(flow.dtype)


def image_gradient(frame_t: torch.Tensor, frame_k: torch.Tensor, flow_kt: torch.Tensor) -> torch.Tensor:
    """Negative gradient of 1/2 |frame_k - warp(frame_t, flow_kt)|^2 pushed to time t.

    `flow_kt` is F_k->t on frame k's grid. The current estimate is sampled at p + F_k->t(p) (frame
    k's grid), the in-frame residual is forward-splatted back along F_k->t ("avg": normalised by
    the summed bilinear weights; 0 where nothing lands), as the reference's fidelity term."""
    residual = (frame_k - backward_warp(frame_t, flow_kt)) * in_frame(flow_kt)
    return forward_splat(residual, flow_kt, None, "avg")


class NormActConv(nn.Module):
    """[GroupNorm] -> GELU -> conv (no bias): the reference's pre-activation layer ('nac' / 'ac')."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = CONV_KERNEL, stride: int = 1, norm: bool = True):
        super().__init__()
        self.norm = nn.GroupNorm(NORM_GROUPS, in_channels) if norm else nn.Identity()
        self.act = nn.GELU()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding=kernel_size // 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.act(self.norm(x)))


class ConvNormAct(nn.Module):
    """conv (no bias) -> GroupNorm -> GELU: the subnet's input layer ('cna')."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = CONV_KERNEL):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False)
        self.norm = nn.GroupNorm(NORM_GROUPS, out_channels)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


class Bottleneck(nn.Module):
    """Pre-activation bottleneck (1x1 down to a quarter, 3x3, 1x1 up) with an identity shortcut."""

    def __init__(self, channels: int):
        super().__init__()
        mid = channels // 4
        self.reduce = NormActConv(channels, mid, 1)
        self.body = NormActConv(mid, mid, CONV_KERNEL)
        self.expand = NormActConv(mid, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.expand(self.body(self.reduce(x))) + x


class UpConv(nn.Module):
    """Nearest x2 upsampling, then a pre-activation 3x3 conv."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = NormActConv(in_channels, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=DOWN_STRIDE, mode="nearest"))


class UNet(nn.Module):
    """Three stride-2 levels down (two bottlenecks at the coarsest), three nearest-x2 levels up,
    additive skips at every level; in and out `channels` wide.

    `first_norm`: whether the first down conv normalises its input (the reference drops it in
    the first U-Net of every style block but the first)."""

    def __init__(self, channels: int, widths: tuple[int, int, int], first_norm: bool = True):
        super().__init__()
        w1, w2, w3 = widths
        self.down1 = NormActConv(channels, w1, stride=DOWN_STRIDE, norm=first_norm)
        self.down2 = NormActConv(w1, w2, stride=DOWN_STRIDE)
        self.down3 = NormActConv(w2, w3, stride=DOWN_STRIDE)
        self.bottom = nn.Sequential(Bottleneck(w3), Bottleneck(w3))
        self.up3 = UpConv(w3, w2)
        self.up2 = UpConv(w2, w1)
        self.up1 = UpConv(w1, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.down1(x)
        x2 = self.down2(x1)
        x3 = self.bottom(self.down3(x2))
        y2 = self.up3(x3) + x2
        y1 = self.up2(y2) + x1
        return self.up1(y1) + x


class ResidualUNets(nn.Module):
    """Two U-Nets in sequence with a residual connection around both (the reference's RRRB)."""

    def __init__(self, channels: int, widths: tuple[int, int, int], first_norm: bool):
        super().__init__()
        self.first = UNet(channels, widths, first_norm)
        self.second = UNet(channels, widths)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.second(self.first(x)) + x


class StyleBackbone(nn.Module):
    """Style-modulated residual U-Net blocks: after each block the feature is instance-normalised and
    modulated, x = (1 + tanh(scale)) * IN(block(x)) + bias, with (scale, bias) a linear map of the
    style code; then a pre-activation 3x3 conv, averaged with the input."""

    def __init__(self, channels: int, widths: tuple[int, int, int], blocks: int, style_width: int):
        super().__init__()
        self.blocks = nn.ModuleList(ResidualUNets(channels, widths, first_norm=(i == 0)) for i in range(blocks))
        self.modulations = nn.ModuleList(nn.Linear(style_width, 2 * channels) for _ in range(blocks))
        self.out = NormActConv(channels, channels)

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        shortcut = x
        for block, modulation in zip(self.blocks, self.modulations):
            scale, bias = modulation(style).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
            x = (1 + torch.tanh(scale)) * F.instance_norm(block(x)) + bias
        return (self.out(x) + shortcut) / 2


class RefinementStep(nn.Module):
    """One step's subnet: flow-gradient term, then the update of the feature, I_t and dF.

    Args:
        width: feature width (the reference: 16).
        unet_widths: the U-Nets' level widths (16, 64, 256).
        state_channels: flow-error state dF width (32; its first 4 channels are flow updates).
        flow_grad_channels: width the flow gradient is compressed to (4).
        style_width, style_input, mapping_layers: the style mapping MLP (512 wide, 128 in, 8 layers).
        style_blocks: style-modulated residual U-Net blocks (2).
    """

    def __init__(
        self,
        width: int,
        unet_widths: tuple[int, int, int],
        state_channels: int,
        flow_grad_channels: int,
        style_width: int,
        style_input: int,
        mapping_layers: int,
        style_blocks: int,
    ):
        super().__init__()
        self.style_input = style_input
        layers: list[nn.Module] = []
        for i in range(mapping_layers):
            layers += [nn.Linear(style_input if i == 0 else style_width, style_width), nn.LeakyReLU(INIT_SLOPE)]
        self.mapping = nn.Sequential(*layers)
        # Gaussian prior over W dF: mean and precision logits from the feature.
        self.prior = nn.Sequential(NormActConv(width, width), NormActConv(width, 2 * state_channels, 1))
        # W: orthogonal at initialisation (QR of a Gaussian matrix), trained freely.
        self.rotation = nn.Parameter(torch.linalg.qr(torch.randn(state_channels, state_channels))[0])
        self.compress = NormActConv(state_channels, flow_grad_channels, 1)
        in_channels = 3 * RGB_CHANNELS + 2 * RGB_CHANNELS + FLOW_CHANNELS + width + flow_grad_channels
        self.inp = ConvNormAct(in_channels, width)
        self.backbone = StyleBackbone(width, unet_widths, style_blocks, style_width)
        self.next = nn.Sequential(NormActConv(width, width), NormActConv(width, width))
        _init_like_reference(self)
        # Created after the Kaiming pass in the reference; their output convs start at zero, so a
        # fresh step changes neither I_t nor dF.
        self.to_rgb = NormActConv(width, RGB_CHANNELS)
        self.to_state = nn.Sequential(NormActConv(width, width), NormActConv(width, state_channels, 1))
        nn.init.zeros_(self.to_rgb.conv.weight)
        nn.init.zeros_(self.to_state[1].conv.weight)

    def flow_gradient(self, feature: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        """W^T ((W dF - mu) * sigmoid(s)), compressed: the gradient of the predicted Gaussian energy."""
        mean, precision = self.prior(feature).chunk(2, dim=1)
        rotation = self.rotation.unsqueeze(-1).unsqueeze(-1)
        residual = (F.conv2d(state, rotation) - mean) * torch.sigmoid(precision)
        return self.compress(F.conv2d(residual, rotation.transpose(0, 1)))

    def forward(self, img0, img1, frame_t, grad0, grad1, f0t, f1t, feature, state):
        """Returns (next feature, next I_t, dF update)."""
        flow_grad = self.flow_gradient(feature, state)
        x = self.inp(torch.cat((img0, img1, frame_t, grad0, grad1, f0t, f1t, feature, flow_grad), 1))
        # The reference feeds the mapping a zero style code, so the modulation is a learned constant
        # per step and block (computed once per call, broadcast over the batch).
        style = self.mapping(feature.new_zeros(1, self.style_input))
        feature = self.next(self.backbone(x, style))
        return feature, frame_t + self.to_rgb(feature), self.to_state(feature)


def _init_like_reference(module: nn.Module) -> None:
    # The reference's "kaiming" pattern: fan-in normal with leaky-ReLU gain, zero biases, unit norms.
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, a=INIT_SLOPE, mode="fan_in", nonlinearity="leaky_relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.GroupNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class DBVFI(nn.Module):
    """Deep Bayesian video frame interpolation (see the module docstring).

    Args:
        steps: refinement steps K (2x: 6, 8x: 4), one subnet each.
        alphas: per-step weights of the training loss (default: 1 each); `len(alphas) == steps`.
        width: feature width of every subnet (16).
        unet_widths: widths of the three U-Net levels (16, 64, 256).
        state_channels: width of the flow-error state dF (32).
        flow_grad_channels: width of the compressed flow gradient (4).
        style_width, style_input, mapping_layers: style mapping MLP (512, 128, 8).
        style_blocks: style-modulated residual U-Net blocks per subnet (2).
        raft_iters: RAFT refinement iterations (12).
        flow_hparams: further `vfi.models.raft.RAFT` hyper-parameters (default: the full RAFT, whose
            weights the reference uses); narrower RAFTs are for fast tests only.

    Every width that a GroupNorm normalises must be a multiple of 4 (`NORM_GROUPS`).
    Frames are float RGB in [0, 1], NCHW, height and width multiples of `pad_multiple`.
    """

    #: frames on each side of the interpolated interval (I_-1, I_0 | I_1, I_2)
    context_frames = 2
    timestep_mode = "scalar"
    pad_multiple = PAD_MULTIPLE

    def __init__(
        self,
        steps: int = STEPS_2X,
        alphas: tuple[float, ...] | None = None,
        width: int = 16,
        unet_widths: tuple[int, int, int] = (16, 64, 256),
        state_channels: int = 32,
        flow_grad_channels: int = 4,
        style_width: int = 512,
        style_input: int = 128,
        mapping_layers: int = 8,
        style_blocks: int = 2,
        raft_iters: int = 12,
        flow_hparams: dict | None = None,
    ):
        super().__init__()
        unet_widths = tuple(int(w) for w in unet_widths)
        alphas = tuple(float(a) for a in alphas) if alphas is not None else (1.0,) * int(steps)
        if steps < 1:
            raise InputError(f"DBVFI steps must be >= 1; got {steps}", "steps")
        if len(alphas) != steps:
            raise InputError(f"DBVFI needs one loss weight per step: {steps} steps, {len(alphas)} alphas", "alphas")
        if len(unet_widths) != UNET_LEVELS:
            raise InputError(f"DBVFI unet_widths must list {UNET_LEVELS} widths; got {unet_widths}", "unet_widths")
        normalised = (width, state_channels) + unet_widths + (unet_widths[-1] // 4,)
        if any(c <= 0 or c % NORM_GROUPS for c in normalised):
            raise InputError(
                f"DBVFI width, state_channels, unet_widths and unet_widths[-1] / 4 must be positive multiples of "
                f"{NORM_GROUPS}; got width={width}, state_channels={state_channels}, unet_widths={unet_widths}"
            )
        if state_channels < FLOW_CHANNELS:
            raise InputError(f"DBVFI state_channels must be >= {FLOW_CHANNELS}; got {state_channels}", "state_channels")
        self.steps = int(steps)
        self.alphas = alphas
        self.width = int(width)
        self.state_channels = int(state_channels)
        # RAFT, frozen as in the reference (which loads raft-things weights; see `load_flow_weights`).
        self.flow_net = create_flow_estimator("raft", **{**(flow_hparams or {}), "iters": raft_iters})
        self.flow_net.requires_grad_(False)
        self.flow_net.eval()
        self.subnets = nn.ModuleList(
            RefinementStep(
                width, unet_widths, state_channels, flow_grad_channels, style_width, style_input, mapping_layers, style_blocks
            )
            for _ in range(self.steps)
        )

    def train(self, mode: bool = True):
        """As `nn.Module.train`, but the frozen flow network always stays in eval mode."""
        super().train(mode)
        self.flow_net.eval()
        return self

    def load_flow_weights(self, name_or_checkpoint: str = "raft") -> None:
        """Copy a flow estimator's weights into the frozen RAFT (`vfi.models.flow_estimators.
        load_flow_estimator`: "raft" reads converted official weights from the cache, or a path).
        Raises `WeightsMissing` (with the conversion command) when they are not there."""
        self.flow_net.load_state_dict(load_flow_estimator(name_or_checkpoint).state_dict())

    def forward(self, img0: torch.Tensor, img1: torch.Tensor, t=0.5, img_m1=None, img2=None) -> torch.Tensor:
        """The frame at `t` between `img0` (t=0) and `img1` (t=1), [N,3,H,W], clamped to [0, 1].

        `img_m1` (I_-1) and `img2` (I_2) are the outer context frames; None replicates the nearer
        end frame (as the pipeline does at clip ends), which makes the motion linear on that side.
        `t` is a float, an [N] or an [N,1,1,1] tensor."""
        return torch.clamp(self.estimate(img0, img1, t, img_m1, img2)[-1], 0, 1)

    def estimate(self, img0: torch.Tensor, img1: torch.Tensor, t=0.5, img_m1=None, img2=None) -> list[torch.Tensor]:
        """Every step's prediction of the frame at `t` (K tensors [N,3,H,W], [0, 1] scale, not
        clamped), for the training loss sum_k alphas[k] * L1(prediction[k], ground truth)."""
        img_m1 = img0 if img_m1 is None else img_m1
        img2 = img1 if img2 is None else img2
        if not is_tracing():
            for other in (img1, img_m1, img2):
                check_frame_pair("DBVFI", img0, other, self.pad_multiple)
        t = self._timestep(t, img0)
        f0t, f1t = self.initial_flows(img_m1, img0, img1, img2, t)
        # The network works on frames in [-1, 1] minus the per-sample, per-channel spatial mean of
        # all four frames.
        frames = [2 * x - 1 for x in (img_m1, img0, img1, img2)]
        mean = sum(x.mean(dim=(2, 3), keepdim=True) for x in frames) / len(frames)
        i0 = frames[1] - mean
        i1 = frames[2] - mean
        n, _, h, w = i0.shape
        frame_t = torch.zeros_like(i0)
        feature = i0.new_zeros(n, self.width, h, w)
        state = i0.new_zeros(n, self.state_channels, h, w)
        predictions = []
        for subnet in self.subnets:
            grad0 = image_gradient(frame_t, i0, f0t)
            grad1 = image_gradient(frame_t, i1, f1t)
            feature, frame_t, update = subnet(i0, i1, frame_t, grad0 * (1 - t), grad1 * t, f0t, f1t, feature, state)
            state = state + update
            f0t = f0t + update[:, 0:FLOW_XY]
            f1t = f1t + update[:, FLOW_XY:FLOW_CHANNELS]
            predictions.append((frame_t + mean + 1) / 2)
        return predictions

    def initial_flows(self, img_m1, img0, img1, img2, t) -> tuple[torch.Tensor, torch.Tensor]:
        """F_0->t and F_1->t [N,2,H,W] (pixels) from the frozen flow network and quadratic motion.

        The reference gives RAFT its centred frames 2x - 1 - m (m: the [-1, 1] mean of all four
        frames); our RAFT maps [0, 1] input y to 2y - 1, so it is given y = x - m / 2, the same values.
        `t` is [N,1,1,1]."""
        frames = (img_m1, img0, img1, img2)
        shift = sum(x.mean(dim=(2, 3), keepdim=True) for x in frames) / len(frames) - 0.5
        xm1, x0, x1, x2 = (x - shift for x in frames)
        # One flow call on the four pairs stacked along the batch (the flow network treats samples
        # independently in eval mode): a quarter of the graph, and a 4x larger batch for the device.
        with torch.no_grad():
            flows = self.flow_net(torch.cat((x0, x0, x1, x1)), torch.cat((x1, xm1, x0, x2)))
        # (A reshape, not chunk(): chunking a symbolic batch exports as a sequence split.)
        f01, f0m1, f10, f12 = flows.detach().reshape(4, -1, *flows.shape[1:]).unbind(0)
        return quadratic_flows(f01, f0m1, f10, f12, t)

    def _timestep(self, t, like: torch.Tensor) -> torch.Tensor:
        t = timestep_tensor(t, like)
        if t.shape[-2:] != (1, 1):
            raise InputError("DBVFI takes a scalar timestep (a float, [N] or [N,1,1,1]), not a per-pixel map", "t")
        return t
