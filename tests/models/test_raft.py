"""RAFT: the paper's size, the forward contract, the correlation lookup and the convex upsampling
against independent brute-force computations, the sequence loss against a hand computation,
checkpoints through the flow-estimator registry, and export in both flavours run by ONNX Runtime.

Untrained weights give no meaningful flow, so nothing here claims flow quality: the checks are of
semantics that hold for any weights.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import torch

import vfi.models as vm
from vfi.core.errors import InputError, WeightsMissing
from vfi.models import raft
from vfi.models.catalogue.raft import PUBLISHED_COST
from vfi.models.flow_estimators import FLOW_ESTIMATORS, create_flow_estimator, load_flow_estimator

HEIGHT, WIDTH = 64, 96
#: The paper's 5.3M is rounded; ours is within 1% of it, and this is the exact count.
PARAMS_TOLERANCE = 0.01
EXACT_PARAMS = 5_257_536
#: Narrow widths for the export tests: the same graph structure and ops, fewer channels.
NARROW = {"encoder_widths": (16, 16, 16), "feature_dim": 32, "hidden_dim": 32, "context_dim": 32}
#: ONNX Runtime vs torch, fp32, max abs flow difference in pixels (measured about 2e-6).
ONNX_FLOW_ATOL = 1e-4


def frames(n=1, height=HEIGHT, width=WIDTH, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(2, n, 3, height, width, generator=generator).unbind(0)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return raft.RAFT(iters=3).eval()


def test_parameter_count_is_the_papers():
    count = sum(p.numel() for p in raft.RAFT().parameters())
    assert count == EXACT_PARAMS
    assert count == pytest.approx(PUBLISHED_COST["raft"]["params"], rel=PARAMS_TOLERANCE)


def test_attributes():
    assert raft.RAFT.pad_multiple == 8
    assert raft.RAFT.timestep_mode == "fixed"
    assert raft.RAFT.task == "flow"


def test_forward_shape_dtype_determinism_and_sequence(model):
    img0, img1 = frames(n=2)
    with torch.no_grad():
        flow = model(img0, img1)
        again = model(img0, img1)
        sequence = model.flow_sequence(img0, img1)
        shorter = model.flow_sequence(img0, img1, iters=2)
    assert flow.shape == (2, 2, HEIGHT, WIDTH) and flow.dtype == torch.float32
    assert bool(torch.isfinite(flow).all())
    assert torch.equal(flow, again)
    assert len(sequence) == model.iters and torch.equal(sequence[-1], flow)
    # iters changes the result; the first iterations do not depend on how many follow.
    assert len(shorter) == 2 and torch.equal(shorter[1], sequence[1])
    assert not torch.allclose(sequence[2], sequence[1])
    # Each sample of the batch is estimated on its own (batch statistics are not used in eval).
    with torch.no_grad():
        single = model(img0[1:], img1[1:])
    torch.testing.assert_close(single, flow[1:], atol=1e-4, rtol=1e-4)


def test_flow_init_is_a_warm_start(model):
    img0, img1 = frames()
    with torch.no_grad():
        cold = model.flow_sequence(img0, img1, iters=2)
        start = torch.zeros(1, 2, HEIGHT // 8, WIDTH // 8)
        zero = model.flow_sequence(img0, img1, iters=2, flow_init=start)
        warm = model.flow_sequence(img0, img1, iters=2, flow_init=start + 1.5)
    assert torch.equal(zero[-1], cold[-1])
    assert not torch.allclose(warm[-1], cold[-1])


def test_frames_must_be_multiples_of_eight_and_large_enough(model):
    img0, img1 = frames(height=60, width=WIDTH)
    with pytest.raises(InputError, match="multiple of 8"):
        model(img0, img1)
    img0, img1 = frames(height=32, width=WIDTH)  # the 4th correlation level would be empty
    with pytest.raises(InputError, match="at least 64x64"):
        model(img0, img1)


def _brute_force_window(corr_full, n, y, x, cx, cy, radius, levels, h, w):
    """The lookup's entries for query (n, y, x) at position (cx, cy), from first principles:
    pooled level maps by block means, bilinear interpolation with zero outside."""
    query = corr_full[n, y, x]  # [h, w] map against the second frame
    values = []
    for level in range(levels):
        s = 2**level
        hs, ws = h // s, w // s
        pooled = query[: hs * s, : ws * s].reshape(hs, s, ws, s).mean(dim=(1, 3))

        def at(yy, xx, pooled=pooled, hs=hs, ws=ws):
            return float(pooled[yy, xx]) if 0 <= yy < hs and 0 <= xx < ws else 0.0

        for i in range(2 * radius + 1):  # x offset (major)
            for j in range(2 * radius + 1):  # y offset
                px, py = cx / s + (i - radius), cy / s + (j - radius)
                x0, y0 = math.floor(px), math.floor(py)
                fx, fy = px - x0, py - y0
                values.append(
                    (1 - fx) * (1 - fy) * at(y0, x0)
                    + fx * (1 - fy) * at(y0, x0 + 1)
                    + (1 - fx) * fy * at(y0 + 1, x0)
                    + fx * fy * at(y0 + 1, x0 + 1)
                )
    return torch.tensor(values)


def test_correlation_lookup_equals_brute_force():
    generator = torch.Generator().manual_seed(3)
    n, c, h, w, radius, levels = 2, 16, 8, 12, 4, 4  # the coarsest level is 1x1
    fmap0 = torch.randn(n, c, h, w, generator=generator)
    fmap1 = torch.randn(n, c, h, w, generator=generator)
    # Positions inside, near the border and outside the second frame, fractional.
    coords = raft.pixel_grid(n, h, w, "cpu") + 6 * torch.randn(n, 2, h, w, generator=generator)
    pyramid = raft.correlation_pyramid(fmap0, fmap1, levels)
    windows = raft.lookup(pyramid, coords, radius)
    assert windows.shape == (n, levels * (2 * radius + 1) ** 2, h, w)
    corr_full = torch.einsum("ncyx,ncab->nyxab", fmap0, fmap1) / math.sqrt(c)
    for qn, qy, qx in [(0, 0, 0), (0, 3, 7), (1, 7, 11), (1, 5, 2)]:
        cx, cy = float(coords[qn, 0, qy, qx]), float(coords[qn, 1, qy, qx])
        expected = _brute_force_window(corr_full, qn, qy, qx, cx, cy, radius, levels, h, w)
        torch.testing.assert_close(windows[qn, :, qy, qx], expected, atol=1e-4, rtol=1e-4)


def test_window_channel_order_is_x_major():
    # Integer position, one level: channel i*(2r+1)+j is the correlation at (x+i-r, y+j-r).
    fmap0 = torch.zeros(1, 1, 9, 9)
    fmap0[0, 0, 4, 4] = 1.0
    fmap1 = torch.arange(81, dtype=torch.float32).reshape(1, 1, 9, 9)  # value = 9*y + x
    windows = raft.lookup(raft.correlation_pyramid(fmap0, fmap1, 1), raft.pixel_grid(1, 9, 9, "cpu"), 4)
    got = windows[0, :, 4, 4].reshape(9, 9)
    i, j = torch.meshgrid(torch.arange(9.0), torch.arange(9.0), indexing="ij")
    torch.testing.assert_close(got, 9 * j + i, atol=1e-4, rtol=0)


def test_convex_upsampling():
    generator = torch.Generator().manual_seed(5)
    n, h, w = 2, 4, 6
    mask = torch.randn(n, 9 * 64, h, w, generator=generator)
    # A constant flow becomes 8x that constant wherever the 3x3 neighbourhood is inside the map
    # (the neighbourhood is zero-padded at the border, as in the reference).
    constant = torch.tensor([1.25, -0.5]).reshape(1, 2, 1, 1).expand(n, 2, h, w)
    up = raft.convex_upsample(constant, mask)
    assert up.shape == (n, 2, 8 * h, 8 * w)
    interior = up[:, :, 8 : 8 * (h - 1), 8 : 8 * (w - 1)]
    torch.testing.assert_close(interior, (8 * constant[:, :, :1, :1]).expand_as(interior), atol=1e-5, rtol=0)
    # Brute force at some fine pixels: softmax over the 9 neighbours of the mask's channels
    # k*64 + a*8 + b, combined with 8 * flow (zero outside).
    flow = torch.randn(n, 2, h, w, generator=generator)
    up = raft.convex_upsample(flow, mask)
    for b_, fy, fx in [(0, 0, 0), (1, 13, 40), (0, 31, 47), (1, 9, 17)]:
        y, a = divmod(fy, 8)
        x, b = divmod(fx, 8)
        logits = torch.stack([mask[b_, k * 64 + a * 8 + b, y, x] for k in range(9)])
        weights = torch.softmax(logits, 0)
        expected = torch.zeros(2)
        for k in range(9):
            yy, xx = y + k // 3 - 1, x + k % 3 - 1
            if 0 <= yy < h and 0 <= xx < w:
                expected += weights[k] * 8 * flow[b_, :, yy, xx]
        torch.testing.assert_close(up[b_, :, fy, fx], expected, atol=1e-5, rtol=1e-5)


def test_sequence_loss_by_hand():
    target = torch.zeros(1, 2, 1, 2)
    target[0, 0, 0, 1] = 500.0  # longer than max_flow: excluded
    flows = [torch.full((1, 2, 1, 2), 2.0), torch.full((1, 2, 1, 2), 1.0)]
    # Valid entries: pixel 0, both channels: |2| and |1|; the mean is over all 4 entries.
    expected = 0.8 * (2 + 2) / 4 + 1.0 * (1 + 1) / 4
    assert float(raft.raft_sequence_loss(flows, target)) == pytest.approx(expected)
    valid = torch.tensor([[[0.0, 1.0]]])  # pixel 0 invalid too: nothing counts
    assert float(raft.raft_sequence_loss(flows, target, valid)) == 0.0
    assert float(raft.raft_sequence_loss(flows, torch.zeros(1, 2, 1, 2), gamma=0.5)) == pytest.approx(0.5 * 2 + 1)


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    net = raft.RAFT(iters=2, **NARROW).train()
    img0, img1 = frames(height=64, width=64)
    loss = raft.raft_sequence_loss(net.flow_sequence(img0, img1), torch.zeros(1, 2, 64, 64))
    loss.backward()
    missing = [name for name, p in net.named_parameters() if p.grad is None or not bool(torch.isfinite(p.grad).all())]
    assert not missing


def test_flow_estimator_registry_and_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("VFI_CACHE_DIR", str(tmp_path / "cache"))
    assert "raft" in FLOW_ESTIMATORS and FLOW_ESTIMATORS["raft"] == "vfi.models.raft:RAFT"
    torch.manual_seed(0)
    net = create_flow_estimator("raft", iters=2, **NARROW).eval()
    assert net.card.family == "raft" and net.card.timestep_mode == "fixed" and net.card.pad_multiple == 8
    path = vm.save(net, tmp_path / "raft.safetensors")
    for loaded in (load_flow_estimator(path), vm.load(path)):
        img0, img1 = frames(height=64, width=64)
        with torch.no_grad():
            torch.testing.assert_close(loaded(img0, img1), net(img0, img1))
    with pytest.raises(WeightsMissing, match="raft_import"):
        load_flow_estimator("raft")
    with pytest.raises(InputError, match="raft"):
        create_flow_estimator("no-such-flow")
    assert "raft" not in vm.names()  # not an interpolator: kept out of the frame-model names


def test_listing_flow_estimators_imports_no_torch():
    code = "import sys, vfi.models.flow_estimators as f; assert 'raft' in f.FLOW_ESTIMATORS; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.slow
@pytest.mark.parametrize(("flavour", "dynamic"), [("portable", True), ("tensorrt", False)])
def test_export_runs_in_onnxruntime(flavour, dynamic, tmp_path):
    # On 2 shared cores: about 5 s static, 16-35 s with dynamic H, W (the exporter dominates), so
    # the dynamic export is checked once, in the portable flavour. RAFT has no custom op, so the
    # two flavours write the same graph.
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from vfi.kernels.onnx_exporter import export_module

    torch.manual_seed(0)
    net = raft.RAFT(iters=2, **NARROW).eval()
    img0, img1 = frames(height=64, width=64)
    path = export_module(
        net,
        (img0, img1),
        tmp_path / "raft.onnx",
        flavour=flavour,
        input_names=["img0", "img1"],
        output_names=["flow"],
        dynamic=dynamic,
    )
    graph = onnx.load(str(path))
    assert not [n.op_type for n in graph.graph.node if n.domain not in ("", "ai.onnx")]  # no custom node
    samplers = [n for n in graph.graph.node if n.op_type == "GridSample"]
    assert samplers
    for node in samplers:
        attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        assert attributes["mode"] == b"bilinear" and attributes["padding_mode"] == b"zeros"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    sizes = [(64, 64), (64, 96)] if dynamic else [(64, 64)]  # the second size checks the dynamic H, W
    for height, width in sizes:
        a, b = frames(height=height, width=width, seed=height + width)
        with torch.no_grad():
            expected = net(a, b).numpy()
        (got,) = session.run(None, {"img0": a.numpy(), "img1": b.numpy()})
        assert got.shape == expected.shape
        error = float(abs(got - expected).max())
        assert error < ONNX_FLOW_ATOL, f"max abs flow difference {error:.2e} px; a tolerance of {error:.1e} would pass"
