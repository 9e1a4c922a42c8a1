"""Reduced precision in torch graphs: convolutions reduced, coordinates and the rest fp32."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vfi.core.tolerance import assert_close
from vfi.models.precision_islands import is_low_precision, low_precision_convs


class WarpNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.before = torch.nn.Conv2d(1, 1, 1, bias=False)
        self.after = torch.nn.Conv2d(1, 1, 1, bias=False)
        torch.nn.init.ones_(self.before.weight)
        torch.nn.init.ones_(self.after.weight)

    def forward(self, img, flow):
        from vfi.kernels import backward_warp

        return self.after(backward_warp(self.before(img), flow))


def test_convolutions_are_lowered_and_outputs_stay_fp32():
    net = WarpNet()
    assert low_precision_convs(net, torch.bfloat16) == 2 and is_low_precision(net)
    assert net.before.weight.dtype == torch.bfloat16
    out = net(torch.rand(1, 1, 4, 6), torch.zeros(1, 2, 4, 6))
    assert out.dtype == torch.float32
    assert low_precision_convs(WarpNet(), torch.float32) == 0


def test_bf16_warp_keeps_quarter_pixels_at_4k():
    from vfi.kernels.backward_warp.reference import backward_warp_reference
    from vfi.kernels.registry import OPS

    w = 3840
    img = (torch.arange(w) % 2).float().view(1, 1, 1, w).expand(1, 1, 2, w).contiguous()
    flow = torch.zeros(1, 2, 2, w)
    flow[:, 0] = -300.25  # a large motion: bf16 holds 300.25 as 300 (its spacing there is 2)
    expected = backward_warp_reference(img.double(), flow.double())
    net = WarpNet()
    low_precision_convs(net, torch.bfloat16)
    with torch.no_grad():
        out = net(img, flow)
        whole = WarpNet().to(torch.bfloat16)(img.bfloat16(), flow.bfloat16()).float()
    sl = (..., slice(3790, 3810))
    assert_close(out[sl], expected[sl], OPS["backward_warp"].tolerance("float16"), "bf16 islands at x~3800")
    # A model simply cast to bf16 holds its flow in bf16: the quarter pixel is gone.
    assert (whole[sl] - expected[sl]).abs().max() > 0.2


def test_rife_bf16_islands_stay_close_to_fp32():
    import vfi.models as vm
    from vfi.core.graph_spec import GraphSpec

    torch.manual_seed(0)
    model = vm.create("rife-4.0-fast", block_widths=(16, 16, 16, 16)).eval()
    low = vm.create("rife-4.0-fast", block_widths=(16, 16, 16, 16)).eval()
    low.load_state_dict(model.state_dict())
    low_precision_convs(low, torch.bfloat16)
    feeds = GraphSpec("scalar").rendered_inputs(1, 64, 128, seed=2)
    args = [torch.from_numpy(feeds[k]) for k in ("img0", "img1")] + [torch.from_numpy(feeds["timestep"]).reshape(-1)]
    with torch.no_grad():
        diff = (low(*args) - model(*args)).abs()
    assert diff.mean() < 2e-3 and np.isfinite(diff.max().item())


def test_sparse_convolutions_run_with_lowered_weights():
    import vfi.models as vm

    torch.manual_seed(0)
    model = vm.create(
        "ugsp", widths=[8, 12, 16, 20], decoder_depth=2, finest_depth=2, uen_width=8, uen_depth=1, density=0.3
    ).eval()
    reference = vm.create(
        "ugsp", widths=[8, 12, 16, 20], decoder_depth=2, finest_depth=2, uen_width=8, uen_depth=1, density=0.3
    ).eval()
    reference.load_state_dict(model.state_dict())
    low_precision_convs(model, torch.bfloat16)
    img0, img1 = torch.rand(1, 3, 64, 96), torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        diff = (model(img0, img1, 0.5) - reference(img0, img1, 0.5)).abs()
    assert diff.mean() < 2e-2


@pytest.mark.parametrize("precision", ["bf16"])
def test_torch_runner_bf16_on_cpu_uses_islands(precision):
    import vfi.models as vm
    from vfi.runtime.backends import create_runner

    torch.manual_seed(0)
    model = vm.create("rife-4.0-fast", block_widths=(16, 16, 16, 16))
    with create_runner("torch", model, precision=precision) as runner:
        assert runner.precision == "bf16" and is_low_precision(runner._module)
        out = runner.infer(
            np.random.rand(1, 3, 64, 64).astype(np.float32),
            np.random.rand(1, 3, 64, 64).astype(np.float32),
            np.array([0.5], np.float32),
        )
    assert out.dtype == np.float32 and np.isfinite(out).all()


def test_autocast_islands_hand_warps_fp32_flows(monkeypatch):
    import torch

    import vfi.models
    import vfi.models.rife as rife
    from vfi.models.precision_islands import autocast_islands

    seen = []
    original = rife.backward_warp

    def recording_warp(img, flow):
        seen.append(flow.dtype)
        return original(img, flow)

    monkeypatch.setattr(rife, "backward_warp", recording_warp)
    model = vfi.models.create("rife-4.0-fast", block_widths=(16, 16, 16, 16)).eval()
    img0, img1 = torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64)
    t = torch.full((1,), 0.5)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        model(img0, img1, t)
        assert seen and set(seen) == {torch.bfloat16}  # plain autocast: flows leave convs in bf16
        seen.clear()
        assert autocast_islands(model) > 0 and autocast_islands(model) == 0  # once only
        out = model(img0, img1, t)
    assert seen and set(seen) == {torch.float32} and out.dtype == torch.float32
