"""RAFT: Recurrent All-Pairs Field Transforms for optical flow (Teed & Deng, ECCV 2020, arXiv 2003.12039).

A flow estimator, not an interpolator: ``RAFT()(img0, img1)`` returns the optical flow F_0->1
[N,2,H,W] in pixels (channel 0 = x), the flow that takes each pixel of img0 to its match in img1.
DBVFI, the flow teachers of training (`vfi.train.teacher`) and distance indexing use it through
`vfi.models.flow_estimators`.

Architecture (the full model of the paper, 5.3M parameters; not RAFT-small):

- Frames are normalised to [-1, 1] (our inputs are RGB in [0, 1]; the reference code's
  ``2 * (x / 255) - 1`` on 0..255 frames is the same map).
- A feature encoder (instance norm) and a context encoder of the same shape (batch norm, as in the
  reference full model) each take a frame to 1/8 resolution: a 7x7 stride-2 stem (64 channels),
  three stages of two residual blocks (64, 96, 128 channels; stages 2 and 3 halve the
  resolution), and a 1x1 projection (256 channels). The context output is split into the GRU's
  initial hidden state (128 channels, tanh) and a fixed context input (128 channels, relu).
- The all-pairs correlation volume (dot products of all feature pairs divided by
  sqrt(channels)) is average-pooled over its second-frame dimensions into a 4-level pyramid.
- Twelve times (``iters``) a recurrent update looks up a (2r+1)^2 window (r = 4) around the
  current match in every pyramid level, encodes it with the current flow (motion encoder), runs a
  separable convolutional GRU (1x5 then 5x1), and adds a predicted flow update.
- Every iteration's 1/8-resolution flow is upsampled 8x by a convex combination of its 3x3
  neighbourhood, with weights predicted from the hidden state (logits scaled by 0.25).

**The correlation lookup uses `torch.nn.functional.grid_sample`** (bilinear, zero padding),
exported as the standard ONNX ``GridSample`` (opset >= 16), which TensorRT parses natively
(``IGridSampleLayer``) and ONNX Runtime runs, so both export flavours hold no custom node. It does
not go through `vfi.kernels.backward_warp`, for these reasons:

- ``backward_warp(img, flow)`` returns an image on its input's own pixel grid and clamps
  coordinates at the border. The lookup needs, for each of the h*w queries, a 9x9 window of its
  own correlation map: through the warp op, each query's map would have to be warped whole
  (output grid = input grid) and cropped, i.e. h*w full-size maps per level per iteration (the
  size of the whole volume, 4 GB at 1080p, again for every iteration and kept for autograd).
- An exact, memory-lighter route exists (bilinear sampling and average pooling are linear, so a
  window value equals the dot product of the query's feature with the *sampled* second feature
  map, zero-padded so that border clamping reads zeros): 81 offsets x 4 levels = 324 warps of a
  256-channel map per iteration, 256x the sampling work of the lookup, 324 x 12 GridSample-sized
  nodes in a graph, and 324 warped 256-channel maps kept per iteration in training. Rejected.

Coordinates are normalised with ``align_corners=False`` (``(2x + 1) / W - 1``): the same sampling
(pixel centres at integers, zero outside) as the reference code's ``align_corners=True`` with
``2x / (W - 1) - 1``, but exact on a one-pixel pyramid level (W = 1), where the reference divides
by zero. Coordinate arithmetic is fp32 throughout.

Window channel order follows the reference code (so that its weights map onto ours): channel
``k = i * (2r+1) + j`` of a level holds the sample at offset ``(dx, dy) = (i - r, j - r)`` (x offset
major, unlike the usual row-major y-then-x).

Pretrained weights cannot be fetched here. The reference checkpoints (e.g. ``raft-things.pth``)
convert with `vfi.models.weights.raft_import`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vfi.core.errors import InputError
from vfi.models.frame_checks import check_frame_pair, is_tracing

RGB_CHANNELS = 3
FLOW_CHANNELS = 2
#: The encoders' output is at 1/8 of the input resolution; so is the recurrent flow.
DOWNSAMPLE = 8
#: Stem: one 7x7 stride-2 convolution.
STEM_KERNEL = 7
#: Encoder stage widths (the paper's); stages after the first halve the resolution.
ENCODER_WIDTHS = (64, 96, 128)
BLOCKS_PER_STAGE = 2
#: Feature-encoder output channels (the correlation's feature dimension).
FEATURE_DIM = 256
#: GRU hidden state and context-feature channels (the context encoder outputs their sum).
HIDDEN_DIM = 128
CONTEXT_DIM = 128
#: Motion encoder widths: correlation branch (1x1 then 3x3), flow branch (7x7 then 3x3), and
#: the merged motion feature (its last 2 channels are the flow itself).
CORR_WIDTHS = (256, 192)
FLOW_BRANCH_WIDTHS = (128, 64)
FLOW_BRANCH_KERNEL = 7
MOTION_DIM = 128
#: Separable GRU kernel length (1xK then Kx1).
GRU_KERNEL = 5
#: Flow head and upsampling-mask head hidden widths.
HEAD_WIDTH = 256
#: Convex upsampling: each fine pixel is a softmax-weighted sum of its coarse 3x3 neighbourhood.
NEIGHBOURHOOD = 9
#: The reference scales the mask logits by this "to balance gradients"; pretrained weights assume it.
MASK_SCALE = 0.25
#: RAFT's sequence loss weights iteration i of n by GAMMA ** (n - 1 - i).
SEQUENCE_GAMMA = 0.8
#: ... and ignores pixels whose ground-truth flow is this long or longer (pixels).
SEQUENCE_MAX_FLOW = 400.0


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "instance":
        return nn.InstanceNorm2d(channels)  # affine=False: no parameters, as in the reference
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}; choose instance, batch or none")


class ResidualBlock(nn.Module):
    """Two 3x3 conv + norm + relu, plus the input (through a 1x1 strided conv + norm when the
    shape changes), then relu."""

    def __init__(self, in_channels: int, channels: int, norm: str, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, padding=1, stride=stride)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.norm1 = _norm(norm, channels)
        self.norm2 = _norm(norm, channels)
        self.shortcut = None
        if stride != 1 or in_channels != channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, channels, 1, stride=stride), _norm(norm, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.norm1(self.conv1(x)))
        y = F.relu(self.norm2(self.conv2(y)))
        skip = x if self.shortcut is None else self.shortcut(x)
        return F.relu(skip + y)


class Encoder(nn.Module):
    """Frame [N,3,H,W] in [-1, 1] -> features [N,out_channels,H/8,W/8]."""

    def __init__(self, out_channels: int, norm: str, widths=ENCODER_WIDTHS):
        super().__init__()
        self.stem = nn.Conv2d(RGB_CHANNELS, widths[0], STEM_KERNEL, stride=2, padding=STEM_KERNEL // 2)
        self.stem_norm = _norm(norm, widths[0])
        stages = []
        in_channels = widths[0]
        for index, width in enumerate(widths):
            stride = 1 if index == 0 else 2
            blocks = [ResidualBlock(in_channels, width, norm, stride)]
            blocks += [ResidualBlock(width, width, norm) for _ in range(BLOCKS_PER_STAGE - 1)]
            stages.append(nn.Sequential(*blocks))
            in_channels = width
        self.stages = nn.ModuleList(stages)
        self.project = nn.Conv2d(in_channels, out_channels, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.stem_norm(self.stem(x)))
        for stage in self.stages:
            x = stage(x)
        return self.project(x)


class MotionEncoder(nn.Module):
    """(flow, correlation window features) -> motion features [N,MOTION_DIM,h,w] (flow last)."""

    def __init__(self, corr_channels: int):
        super().__init__()
        self.corr1 = nn.Conv2d(corr_channels, CORR_WIDTHS[0], 1)
        self.corr2 = nn.Conv2d(CORR_WIDTHS[0], CORR_WIDTHS[1], 3, padding=1)
        self.flow1 = nn.Conv2d(FLOW_CHANNELS, FLOW_BRANCH_WIDTHS[0], FLOW_BRANCH_KERNEL, padding=FLOW_BRANCH_KERNEL // 2)
        self.flow2 = nn.Conv2d(FLOW_BRANCH_WIDTHS[0], FLOW_BRANCH_WIDTHS[1], 3, padding=1)
        self.merge = nn.Conv2d(CORR_WIDTHS[1] + FLOW_BRANCH_WIDTHS[1], MOTION_DIM - FLOW_CHANNELS, 3, padding=1)

    def forward(self, flow: torch.Tensor, corr: torch.Tensor) -> torch.Tensor:
        c = F.relu(self.corr2(F.relu(self.corr1(corr))))
        f = F.relu(self.flow2(F.relu(self.flow1(flow))))
        return torch.cat([F.relu(self.merge(torch.cat([c, f], 1))), flow], 1)


class ConvGRUStep(nn.Module):
    """One convolutional GRU update with a `kernel` (h, w) shaped kernel."""

    def __init__(self, hidden: int, inputs: int, kernel: tuple[int, int]):
        super().__init__()
        padding = (kernel[0] // 2, kernel[1] // 2)
        self.update_gate = nn.Conv2d(hidden + inputs, hidden, kernel, padding=padding)
        self.reset_gate = nn.Conv2d(hidden + inputs, hidden, kernel, padding=padding)
        self.candidate = nn.Conv2d(hidden + inputs, hidden, kernel, padding=padding)

    def forward(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        hx = torch.cat([h, x], 1)
        z = torch.sigmoid(self.update_gate(hx))
        r = torch.sigmoid(self.reset_gate(hx))
        q = torch.tanh(self.candidate(torch.cat([r * h, x], 1)))
        return (1 - z) * h + z * q


class UpdateBlock(nn.Module):
    """(hidden, context, correlation, flow) -> (new hidden, upsampling-mask logits, flow update)."""

    def __init__(self, corr_channels: int, hidden_dim: int, context_dim: int):
        super().__init__()
        self.motion = MotionEncoder(corr_channels)
        inputs = context_dim + MOTION_DIM
        self.gru_horizontal = ConvGRUStep(hidden_dim, inputs, (1, GRU_KERNEL))
        self.gru_vertical = ConvGRUStep(hidden_dim, inputs, (GRU_KERNEL, 1))
        self.flow_head = nn.Sequential(
            nn.Conv2d(hidden_dim, HEAD_WIDTH, 3, padding=1), nn.ReLU(), nn.Conv2d(HEAD_WIDTH, FLOW_CHANNELS, 3, padding=1)
        )
        self.mask_head = nn.Sequential(
            nn.Conv2d(hidden_dim, HEAD_WIDTH, 3, padding=1), nn.ReLU(), nn.Conv2d(HEAD_WIDTH, NEIGHBOURHOOD * DOWNSAMPLE**2, 1)
        )

    def forward(self, hidden, context, corr, flow):
        x = torch.cat([context, self.motion(flow, corr)], 1)
        hidden = self.gru_vertical(self.gru_horizontal(hidden, x), x)
        return hidden, MASK_SCALE * self.mask_head(hidden), self.flow_head(hidden)


def correlation_pyramid(fmap0: torch.Tensor, fmap1: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """All-pairs correlation of two feature maps [N,C,h,w] (fp32), pooled into `levels` levels.

    Level k is [N*h*w, 1, h/2**k, w/2**k] (sizes floored): row q = n*h*w + y*w + x is the map of
    query pixel (x, y) of `fmap0` against every pixel of `fmap1` (dot product / sqrt(C)),
    average-pooled 2x2 k times."""
    n, c, h, w = fmap0.shape
    a = fmap0.reshape(n, c, h * w).transpose(1, 2)
    b = fmap1.reshape(n, c, h * w)
    corr = torch.matmul(a, b) / math.sqrt(c)
    corr = corr.reshape(n * h * w, 1, h, w)
    pyramid = [corr]
    for _ in range(levels - 1):
        pyramid.append(F.avg_pool2d(pyramid[-1], 2, stride=2))
    return pyramid


def window_offsets(radius: int, device=None) -> torch.Tensor:
    """[1, 2r+1, 2r+1, 2] offsets (x, y) in pixels: entry [i, j] = (i - r, j - r) (see the module
    docstring for why x is the major index)."""
    d = torch.arange(-radius, radius + 1, dtype=torch.float32, device=device)
    dx = d.reshape(-1, 1).expand(2 * radius + 1, 2 * radius + 1)
    dy = d.reshape(1, -1).expand(2 * radius + 1, 2 * radius + 1)
    return torch.stack([dx, dy], -1).unsqueeze(0)


def lookup(pyramid: list[torch.Tensor], coords: torch.Tensor, radius: int) -> torch.Tensor:
    """Bilinear, zero-padded (2r+1)^2 windows of every pyramid level around `coords` [N,2,h,w]
    (fp32 pixel positions (x, y) in the second frame at level 0) -> [N, levels*(2r+1)^2, h, w]."""
    n, _, h, w = coords.shape
    centre = coords.float().permute(0, 2, 3, 1).reshape(-1, 1, 1, 2)
    offsets = window_offsets(radius, coords.device)
    windows = []
    for level, corr in enumerate(pyramid):
        points = centre / 2**level + offsets
        size = torch.tensor([corr.shape[-1], corr.shape[-2]], dtype=torch.float32, device=coords.device)
        grid = (2 * points + 1) / size - 1  # align_corners=False normalisation: exact for any size
        sampled = F.grid_sample(corr, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        windows.append(sampled.reshape(n, h, w, -1))
    return torch.cat(windows, -1).permute(0, 3, 1, 2)


def pixel_grid(n: int, h: int, w: int, device) -> torch.Tensor:
    """[N,2,h,w] fp32 pixel coordinates (x, y)."""
    ys = torch.arange(h, dtype=torch.float32, device=device).reshape(1, 1, h, 1).expand(n, 1, h, w)
    xs = torch.arange(w, dtype=torch.float32, device=device).reshape(1, 1, 1, w).expand(n, 1, h, w)
    return torch.cat([xs, ys], 1)


def convex_upsample(flow: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Flow [N,2,h,w] (pixels of 1/8 resolution) -> [N,2,8h,8w] (full-resolution pixels): each fine
    pixel is a softmax(mask)-weighted combination of 8 * flow over its coarse 3x3 neighbourhood.

    `mask` [N, 9*64, h, w]: channel k*64 + a*8 + b weights neighbour k (row-major in the 3x3
    window) for the fine pixel at sub-position (row a, column b)."""
    n, _, h, w = flow.shape
    weights = torch.softmax(mask.reshape(n, 1, NEIGHBOURHOOD, DOWNSAMPLE**2, h, w), dim=2)
    padded = F.pad(DOWNSAMPLE * flow, (1, 1, 1, 1))
    neighbours = torch.stack([padded[:, :, dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)], 2)
    up = (weights * neighbours.unsqueeze(3)).sum(2)  # [N, 2, 64, h, w]
    return F.pixel_shuffle(up.reshape(n, FLOW_CHANNELS * DOWNSAMPLE**2, h, w), DOWNSAMPLE)


class RAFT(nn.Module):
    """RAFT optical flow, the full model (5.3M parameters; see the module docstring).

    Args:
        iters: refinement iterations of `forward` (the reference's test-time default, 12).
        radius: correlation lookup radius r (window (2r+1)^2 per level).
        levels: correlation pyramid levels.
        encoder_widths, feature_dim, hidden_dim, context_dim: widths (defaults: the paper's);
            narrower values are for fast tests only, no published weights have them.
        context_norm: normalisation of the context encoder ("batch", the reference full model;
            "none" or "instance"). With batch norm, a frozen RAFT inside a model being trained
            must stay in eval mode (the reference's ``freeze_bn``), or its running statistics drift.
    """

    pad_multiple = DOWNSAMPLE
    timestep_mode = "fixed"
    task = "flow"

    def __init__(
        self,
        iters: int = 12,
        radius: int = 4,
        levels: int = 4,
        encoder_widths: tuple[int, ...] | list[int] = ENCODER_WIDTHS,
        feature_dim: int = FEATURE_DIM,
        hidden_dim: int = HIDDEN_DIM,
        context_dim: int = CONTEXT_DIM,
        context_norm: str = "batch",
    ):
        super().__init__()
        if len(encoder_widths) != 3:
            raise ValueError(f"encoder_widths needs 3 stages (1/2, 1/4, 1/8), got {list(encoder_widths)}")
        self.iters = int(iters)
        self.radius = int(radius)
        self.levels = int(levels)
        self.hidden_dim = int(hidden_dim)
        self.context_dim = int(context_dim)
        self.feature_encoder = Encoder(feature_dim, "instance", tuple(encoder_widths))
        self.context_encoder = Encoder(hidden_dim + context_dim, context_norm, tuple(encoder_widths))
        self.update = UpdateBlock(self.levels * (2 * self.radius + 1) ** 2, hidden_dim, context_dim)

    def forward(self, img0: torch.Tensor, img1: torch.Tensor) -> torch.Tensor:
        """Flow F_0->1 [N,2,H,W] in pixels (x, y) after `self.iters` iterations.

        `img0`, `img1`: float RGB [N,3,H,W] in [0, 1], H and W multiples of 8 and at least
        8 * 2**(levels-1) (64 for the paper's 4 levels)."""
        return self.flow_sequence(img0, img1)[-1]

    def flow_sequence(
        self, img0: torch.Tensor, img1: torch.Tensor, iters: int | None = None, flow_init: torch.Tensor | None = None
    ) -> list[torch.Tensor]:
        """Every iteration's upsampled flow F_0->1 ([N,2,H,W] each, pixels), first to last.

        Args:
            iters: iterations (default `self.iters`).
            flow_init: an initial flow [N,2,H/8,W/8] in pixels of the 1/8 grid (warm start, e.g.
                the previous frame pair's low-resolution flow), or None for zero.
        """
        if not is_tracing():
            check_frame_pair("raft", img0, img1, self.pad_multiple)
            smallest = DOWNSAMPLE * 2 ** (self.levels - 1)  # the coarsest correlation level needs >= 1 pixel
            if min(img0.shape[-2:]) < smallest:
                raise InputError(
                    f"raft with {self.levels} correlation levels needs frames of at least {smallest}x{smallest} "
                    f"pixels, got {img0.shape[-1]}x{img0.shape[-2]}; pad them (replicate) or upscale"
                )
        iters = self.iters if iters is None else int(iters)
        a = 2 * img0.float() - 1
        b = 2 * img1.float() - 1
        n = a.shape[0]
        features = self.feature_encoder(torch.cat([a, b], 0)).float()
        pyramid = correlation_pyramid(features[:n], features[n:], self.levels)
        context = self.context_encoder(a)
        hidden = torch.tanh(context[:, : self.hidden_dim])
        context = torch.relu(context[:, self.hidden_dim :])

        h, w = features.shape[-2:]
        coords0 = pixel_grid(n, h, w, a.device)
        coords1 = coords0 if flow_init is None else coords0 + flow_init.float()
        flows = []
        for _ in range(iters):
            coords1 = coords1.detach()  # as the reference: no gradient through the lookup positions
            corr = lookup(pyramid, coords1, self.radius)
            flow = coords1 - coords0
            hidden, mask, delta = self.update(hidden, context, corr, flow)
            coords1 = coords1 + delta.float()
            flows.append(convex_upsample(coords1 - coords0, mask.float()))
        return flows


def raft_sequence_loss(
    flows: list[torch.Tensor],
    target: torch.Tensor,
    valid: torch.Tensor | None = None,
    gamma: float = SEQUENCE_GAMMA,
    max_flow: float = SEQUENCE_MAX_FLOW,
) -> torch.Tensor:
    """RAFT's training loss: sum over iterations i = 0..n-1 of gamma**(n-1-i) * mean(valid * |flow_i - target|).

    A pixel counts when its `valid` entry is >= 0.5 and its target flow is shorter than
    `max_flow` pixels (the reference excludes extreme displacements). The mean is over all
    N*2*H*W entries, excluded ones counting as zero, as in the reference.

    Args:
        flows: `RAFT.flow_sequence` output, each [N,2,H,W].
        target: ground-truth flow [N,2,H,W], pixels.
        valid: [N,H,W] or [N,1,H,W] validity (sparse ground truth, e.g. KITTI); None: all valid.
    """
    n = len(flows)
    keep = target.norm(dim=1, keepdim=True) < max_flow
    if valid is not None:
        keep = keep & (valid.reshape(keep.shape) >= 0.5)
    keep = keep.to(target.dtype)
    total = target.new_zeros(())
    for i, flow in enumerate(flows):
        total = total + gamma ** (n - 1 - i) * (keep * (flow - target).abs()).mean()
    return total
