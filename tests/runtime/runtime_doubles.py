"""Test doubles for the runtime: a tiny warping network with a card, and a numpy averaging runner.

Imported by the tests of this folder as `runtime_doubles` (pytest puts the folder on sys.path)."""

from __future__ import annotations

import numpy as np

from vfi.runtime.runner import Runner


def make_tiny_warp_net(pad_multiple: int = 8, seed: int = 0):
    """A small torch network shaped like a VFI model (conv -> flow -> grid_sample warp -> blend),
    with random weights and a `ModelCard`, so backends can be tested in seconds."""
    import torch
    import torch.nn.functional as F

    from vfi.models.card import ModelCard

    class TinyWarpNet(torch.nn.Module):
        timestep_mode = "scalar"

        def __init__(self):
            super().__init__()
            self.pad_multiple = pad_multiple
            self.encode = torch.nn.Conv2d(6, 8, 3, padding=1)
            self.flow = torch.nn.Conv2d(8, 2, 3, padding=1)

        def forward(self, img0, img1, t):
            n, _, h, w = img0.shape
            t = t.reshape(n, 1, 1, 1).to(img0.dtype) if torch.is_tensor(t) else torch.full((n, 1, 1, 1), float(t))
            flow = 4.0 * torch.tanh(self.flow(torch.relu(self.encode(torch.cat([img0, img1], 1)))))
            # Sampling coordinates in fp32 whatever the images' type, as the real models keep them.
            ys = torch.linspace(-1.0, 1.0, h).view(1, h, 1).expand(n, h, w)
            xs = torch.linspace(-1.0, 1.0, w).view(1, 1, w).expand(n, h, w)
            base = torch.stack([xs, ys], dim=-1)
            scale = torch.tensor([2.0 / (w - 1), 2.0 / (h - 1)]).view(1, 1, 1, 2)
            offset = flow.float().permute(0, 2, 3, 1) * scale
            tf = t.float().view(n, 1, 1, 1)
            warp0 = F.grid_sample(img0.float(), base - tf * offset, align_corners=True, padding_mode="border").to(img0.dtype)
            warp1 = F.grid_sample(img1.float(), base + (1 - tf) * offset, align_corners=True, padding_mode="border").to(
                img0.dtype
            )
            return (1 - t) * warp0 + t * warp1

    torch.manual_seed(seed)
    net = TinyWarpNet().eval()
    net.card = ModelCard(family="tiny-warp", variant="tiny-warp-test", pad_multiple=pad_multiple, timestep_mode="scalar")
    return net


def make_tiny_context_net(pad_multiple: int = 8, seed: int = 0, flow_net: bool = False):
    """The tiny warping network with two frames of context on each side (I_-1 and I_2 after t,
    as `vfi.core.graph_spec` orders them), which move its output; with `flow_net` a tiny flow
    estimator (task "flow": img0, img1 -> flow) instead."""
    import torch

    from vfi.models.card import ModelCard

    inner = make_tiny_warp_net(pad_multiple, seed)

    class TinyContextNet(torch.nn.Module):
        timestep_mode = "scalar"
        context_frames = 2

        def __init__(self):
            super().__init__()
            self.pad_multiple = pad_multiple
            self.inner = inner
            self.mix = torch.nn.Conv2d(6, 3, 3, padding=1)

        def forward(self, img0, img1, t, img_m1, img2):
            return self.inner(img0, img1, t) + 0.1 * torch.tanh(self.mix(torch.cat([img_m1, img2], 1)))

    class TinyFlowNet(torch.nn.Module):
        timestep_mode = "fixed"
        task = "flow"

        def __init__(self):
            super().__init__()
            self.pad_multiple = pad_multiple
            self.flow = torch.nn.Conv2d(6, 2, 3, padding=1)

        def forward(self, img0, img1):
            return 4.0 * torch.tanh(self.flow(torch.cat([img0, img1], 1)))

    torch.manual_seed(seed)
    if flow_net:
        net = TinyFlowNet().eval()
        net.card = ModelCard(
            family="tiny-flow", variant="tiny-flow-test", pad_multiple=pad_multiple, timestep_mode="fixed", task="flow"
        )
        return net
    net = TinyContextNet().eval()
    net.card = ModelCard(
        family="tiny-context", variant="tiny-context-test", pad_multiple=pad_multiple, timestep_mode="scalar", context=2
    )
    return net


class AveragingRunner(Runner):
    """A runner whose 'model' is the linear blend (1 - t) * img0 + t * img1; counts its calls.

    Args:
        pad_multiple: the multiple it claims to need (pixels); `infer` checks it was padded.
        timestep_mode: what its card declares.
        fail_after: raise RuntimeError on this call number (1-based), to test error propagation.
        context: frames on each side its card declares; the context frames of every call are kept
            in `windows` (one list of frames per sample), the blend ignores them.
    """

    name = "averaging"

    def __init__(self, pad_multiple: int = 8, timestep_mode: str = "scalar", fail_after: int | None = None, context: int = 1):
        super().__init__("averaging-double")
        from vfi.models.card import ModelCard

        self._card = ModelCard(
            family="avg", variant="avg", pad_multiple=pad_multiple, timestep_mode=timestep_mode, context=context
        )
        self.calls = 0
        self.batch_sizes: list[int] = []
        self.fail_after = fail_after
        self.windows: list[tuple] = []

    @classmethod
    def is_available(cls):
        return True, ""

    @classmethod
    def version(cls):
        return "0"

    def _load(self):
        self.card = self._card

    def _infer(self, img0, img1, t, context=()):
        self.calls += 1
        self.batch_sizes.append(img0.shape[0])
        self.windows.extend(tuple(frame[i] for frame in (img0, img1, *context)) for i in range(img0.shape[0]))
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise RuntimeError("averaging double failed on purpose")
        h, w = img0.shape[-2:]
        assert h % self.pad_multiple == 0 and w % self.pad_multiple == 0, "pipeline did not pad"
        if self.timestep_mode == "fixed":
            assert np.all(t == 0.5)
        tt = t.reshape(-1, 1, 1, 1)
        return (1 - tt) * img0 + tt * img1
