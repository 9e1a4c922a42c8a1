"""DBVFI 2x / 8x: size against the reference code, the quadratic motion, the image-gradient term,
unshared steps, the per-step predictions training needs, the four-frame contract, and export.

Everything but the parameter count runs a narrow instance (`NARROW`: same structure, fewer
channels, a narrow 1-iteration RAFT) on 64x64 frames.
"""

from __future__ import annotations

import pytest
import torch
from narrow_models import NARROW_DBVFI
from torch import nn

import vfi.models as vm
from vfi.core.errors import InputError
from vfi.core.graph_spec import DEFAULT_OPSET
from vfi.models import dbvfi
from vfi.models.catalogue.dbvfi import PARAMS

SIZE = 64
NARROW = NARROW_DBVFI
NARROW_STEPS = 2

#: Parameters of one refinement subnet of the reference code (Oceanlib/DBVI, DBVI_2x and DBVI_8x,
#: model/RRDBNet.py `subNet(inCh=39, outCh=16, gradCh=32, gradFlowIn=4)`, counted by building that
#: module). Derivation (convolutions have no bias; every GroupNorm has 2 x channels):
#:   style mapping MLP  128*512+512 + 7*(512*512+512)                          = 1,904,640
#:   U-Net (16 -> 16/64/256): downs 16*16*9+32 + 16*64*9+32 + 64*256*9+128     =   159,200
#:     two bottlenecks 2*(256*64 + 64*64*9 + 64*256 + 512+128+128)             =   140,800
#:     ups 256*64*9+512 + 64*16*9+128 + 16*16*9+32                             =   159,616
#:   4 U-Nets (2 style blocks x 2), one without its first GroupNorm: 4*459,616 - 32 = 1,838,432
#:   style modulations 2*(512*32+32) + output conv 32+16*16*9                  =    35,168
#:   input conv 39*16*9 + 32; prior 32+2304+32+16*64; rotation 32*32;
#:   compression 64+32*4; next 2*(32+2304); to_rgb 32+16*3*9; to_state 2336+32+16*32 =  18,272
#: total                                                                         = 3,796,512
#: (the team's rough tally of ~3.8M per step, ~22.8M for six). RAFT: 5,257,536 (vfi.models.raft).
REFERENCE_STEP_PARAMS = 3_796_512
PARAMS_TOLERANCE = 0.01
EXPORT_TOLERANCE = 1e-4


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def wake(model: dbvfi.DBVFI, seed: int = 0) -> dbvfi.DBVFI:
    """Randomise the zero-initialised heads (a fresh model never moves I_t; see test below)."""
    generator = torch.Generator().manual_seed(seed)
    for step in model.subnets:
        for conv in (step.to_rgb.conv, step.to_state[1].conv):
            conv.weight.data = 0.1 * torch.randn(conv.weight.shape, generator=generator)
    return model


def make(name="dbvfi", steps=NARROW_STEPS, awake=True, **overrides):
    torch.manual_seed(0)
    hparams = {**NARROW, **overrides}
    if steps is not None:
        hparams.update(steps=steps, alphas=[1.0] * steps)
    model = vm.create(name, **hparams).eval()
    return wake(model) if awake else model


def frames(n=1, seed=0, height=SIZE, width=SIZE):
    """(img0, img1, img_m1, img2), [n,3,height,width] each."""
    generator = torch.Generator().manual_seed(seed)
    img_m1, img0, img1, img2 = torch.rand(4, n, 3, height, width, generator=generator).unbind(0)
    return img0, img1, img_m1, img2


@pytest.fixture(scope="module")
def narrow():
    return make()


# ----- size -----


@pytest.mark.parametrize(("name", "steps"), [("dbvfi", 6), ("dbvfi-8x", 4)])
def test_parameter_counts_match_the_reference_code(name, steps):
    model = vm.create(name)
    assert len(model.subnets) == model.steps == steps
    for step in model.subnets:
        assert abs(count(step) / REFERENCE_STEP_PARAMS - 1) <= PARAMS_TOLERANCE, count(step)
    raft = count(model.flow_net)
    assert count(model) == steps * count(model.subnets[0]) + raft
    expected = PARAMS[name]
    assert abs(count(model.subnets[0]) / expected["per_step"] - 1) <= PARAMS_TOLERANCE
    assert abs(raft / expected["raft"] - 1) <= PARAMS_TOLERANCE, raft
    assert abs(count(model) / expected["total"] - 1) <= PARAMS_TOLERANCE, count(model)


def test_variants_carry_the_reference_configurations():
    two, eight = make("dbvfi", steps=None, awake=False), make("dbvfi-8x", steps=None, awake=False)
    assert two.steps == 6 and two.alphas == (1.0,) * 6
    assert eight.steps == 4 and eight.alphas == (0.2, 0.4, 1.0, 1.0)
    for model in (two, eight):
        assert model.card.family == "dbvfi"
        assert model.card.context == model.context_frames == 2
        assert model.card.pad_multiple == model.pad_multiple == 8
        assert model.card.timestep_mode == "scalar"


# ----- forward contract -----


@pytest.mark.parametrize("t", [0.125, 0.5, 0.875])
def test_forward_shape_and_range(narrow, t):
    img0, img1, img_m1, img2 = frames(n=2)
    with torch.no_grad():
        out = narrow(img0, img1, t, img_m1, img2)
    assert out.shape == img0.shape
    assert torch.isfinite(out).all()
    assert 0 <= out.min() and out.max() <= 1


def test_timestep_forms_agree_and_samples_are_independent(narrow):
    img0, img1, img_m1, img2 = frames(n=2)
    with torch.no_grad():
        expected = narrow(img0, img1, 0.3, img_m1, img2)
        for t in (torch.tensor(0.3), torch.full((2,), 0.3), torch.full((2, 1, 1, 1), 0.3)):
            torch.testing.assert_close(narrow(img0, img1, t, img_m1, img2), expected, atol=1e-5, rtol=0)
        both = narrow(img0, img1, torch.tensor([0.25, 0.75]), img_m1, img2)
        first = narrow(img0[:1], img1[:1], 0.25, img_m1[:1], img2[:1])
        second = narrow(img0[1:], img1[1:], 0.75, img_m1[1:], img2[1:])
    # (The flow network's convolutions run at another batch size: ~1e-5 of rounding.)
    torch.testing.assert_close(both, torch.cat((first, second)), atol=1e-4, rtol=0)


def test_missing_context_replicates_the_end_frames(narrow):
    img0, img1, _, _ = frames()
    with torch.no_grad():
        torch.testing.assert_close(narrow(img0, img1, 0.5), narrow(img0, img1, 0.5, img0, img1), atol=0, rtol=0)


def test_bad_inputs_and_hyper_parameters(narrow):
    img0, img1, img_m1, img2 = frames()
    with pytest.raises(InputError, match="multiple of 8"):
        narrow(torch.rand(1, 3, 60, 64), torch.rand(1, 3, 60, 64), 0.5)
    with pytest.raises(InputError, match="differ in shape"):
        narrow(img0, img1, 0.5, img_m1[..., :32], img2)
    with pytest.raises(InputError, match="scalar timestep"):
        narrow(img0, img1, torch.full((1, 1, SIZE, SIZE), 0.5), img_m1, img2)
    with pytest.raises(InputError, match="one loss weight per step"):
        vm.create("dbvfi", **{**NARROW, "steps": 2})
    with pytest.raises(InputError, match="multiples of 4"):
        vm.create("dbvfi", **{**NARROW, "width": 6})


# ----- quadratic initialisation -----


class ConstantFlows(nn.Module):
    """Flow from a to b = (10, -4) * (value of b - value of a), for constant-valued frames."""

    def forward(self, a, b):
        d = (b - a)[:, :1]
        return torch.cat((10 * d, -4 * d), 1)


def test_quadratic_initialisation_by_hand():
    # Frames of constant value I_-1 = 0.1, I_0 = 0.3, I_1 = 0.6, I_2 = 0.7 (accelerating, then slowing).
    value = {"m1": 0.1, "0": 0.3, "1": 0.6, "2": 0.7}
    img = {k: torch.full((1, 3, SIZE, SIZE), v) for k, v in value.items()}
    model = make(steps=1, awake=False)
    model.flow_net = ConstantFlows()
    # F_0->1 = (3, -1.2), F_0->-1 = (-2, 0.8), F_1->0 = (-3, 1.2), F_1->2 = (1, -0.4). At t = 0.5:
    #   F_0->t = (F01 + F0-1)/2 * 0.25 + (F01 - F0-1)/2 * 0.5 = (0.125 + 1.25, -0.05 - 0.5) = (1.375, -0.55)
    #   F_1->t = (F10 + F12)/2 * 0.25 + (F10 - F12)/2 * 0.5 = (-0.25 - 1.0, 0.1 + 0.4) = (-1.25, 0.5)
    t = torch.full((1, 1, 1, 1), 0.5)
    f0t, f1t = model.initial_flows(img["m1"], img["0"], img["1"], img["2"], t)
    assert f0t.shape == f1t.shape == (1, 2, SIZE, SIZE)
    torch.testing.assert_close(f0t[0, :, 0, 0], torch.tensor([1.375, -0.55]), atol=1e-5, rtol=0)
    torch.testing.assert_close(f1t[0, :, 0, 0], torch.tensor([-1.25, 0.5]), atol=1e-5, rtol=0)
    assert (f0t == f0t[:, :, :1, :1]).all() and (f1t == f1t[:, :, :1, :1]).all()
    # The ends: F_0->0 = 0, F_0->1 = F01, F_1->1 = 0, F_1->0 = F10; and the parabola through
    # frame 0 passes through frame -1 at t = -1.
    for t_end, want0, want1 in ((0.0, [0.0, 0.0], [-3.0, 1.2]), (1.0, [3.0, -1.2], [0.0, 0.0]), (-1.0, [-2.0, 0.8], None)):
        f0t, f1t = model.initial_flows(img["m1"], img["0"], img["1"], img["2"], torch.full((1, 1, 1, 1), t_end))
        torch.testing.assert_close(f0t[0, :, 0, 0], torch.tensor(want0), atol=1e-5, rtol=0)
        if want1 is not None:
            torch.testing.assert_close(f1t[0, :, 0, 0], torch.tensor(want1), atol=1e-5, rtol=0)


def test_flow_network_is_frozen_and_stays_in_eval():
    model = make(awake=False)
    assert not any(p.requires_grad for p in model.flow_net.parameters())
    assert all(p.requires_grad for p in model.subnets.parameters())
    model.train()
    assert model.training and not model.flow_net.training


# ----- the image-gradient term -----


def test_image_gradient_vanishes_when_the_estimate_explains_the_frame():
    generator = torch.Generator().manual_seed(1)
    frame_k = torch.rand(2, 3, SIZE, SIZE, generator=generator)
    # Frame k's pixel p moves to p + (3, -2) at time t: I_t(q) = I_k(q - (3, -2)).
    flow = torch.tensor([3.0, -2.0]).view(1, 2, 1, 1).expand(2, 2, SIZE, SIZE)
    frame_t = torch.roll(frame_k, shifts=(-2, 3), dims=(2, 3))
    # (Not bit-exact: the warp normalises its sampling grid, ~1e-6 of rounding.)
    assert dbvfi.image_gradient(frame_t, frame_k, flow).abs().max() <= 1e-5
    # Any other estimate leaves a residual; with no motion it is I_k - I_t itself.
    assert dbvfi.image_gradient(frame_t + 0.1, frame_k, flow).abs().max() > 0.05
    still = torch.zeros(2, 2, SIZE, SIZE)
    torch.testing.assert_close(dbvfi.image_gradient(torch.zeros_like(frame_k), frame_k, still), frame_k, atol=1e-6, rtol=0)


def test_image_gradient_masks_samples_outside_the_frame_and_splats_averaged(monkeypatch):
    flow = torch.tensor([-5.0, 0.0]).view(1, 2, 1, 1).expand(1, 2, SIZE, SIZE)
    inside = dbvfi.in_frame(flow)
    assert (inside[..., :5] == 0).all() and (inside[..., 5:] == 1).all()
    calls = []

    def recording_splat(img, flow, metric, mode):
        calls.append((metric, mode))
        return img

    monkeypatch.setattr(dbvfi, "forward_splat", recording_splat)
    residual = dbvfi.image_gradient(torch.zeros(1, 3, SIZE, SIZE), torch.ones(1, 3, SIZE, SIZE), flow)
    assert calls == [(None, "avg")]
    assert (residual[..., :5] == 0).all() and (residual[..., 5:] == 1).all()


# ----- refinement steps -----


def test_steps_do_not_share_weights(narrow):
    assert len(narrow.subnets) == NARROW_STEPS
    ids = [{id(p) for p in step.parameters()} for step in narrow.subnets]
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            assert not ids[i] & ids[j]
    first, second = (dict(step.named_parameters()) for step in narrow.subnets[:2])
    assert set(first) == set(second)
    assert not torch.equal(first["inp.conv.weight"], second["inp.conv.weight"])
    assert not torch.equal(first["rotation"], second["rotation"])


def test_estimate_returns_every_step_and_forward_is_the_last(narrow):
    img0, img1, img_m1, img2 = frames()
    with torch.no_grad():
        predictions = narrow.estimate(img0, img1, 0.5, img_m1, img2)
        frame = narrow(img0, img1, 0.5, img_m1, img2)
    assert len(predictions) == NARROW_STEPS == len(narrow.alphas)
    assert all(p.shape == img0.shape for p in predictions)
    assert torch.equal(frame, torch.clamp(predictions[-1], 0, 1))
    assert not torch.equal(predictions[0], predictions[-1])


def test_fresh_model_keeps_the_frames_mean():
    # The reference zero-initialises the I_t and dF heads, so an untrained model never moves its
    # estimate from the start value: the per-channel mean of the four frames.
    model = make(awake=False)
    img0, img1, img_m1, img2 = frames()
    with torch.no_grad():
        predictions = model.estimate(img0, img1, 0.5, img_m1, img2)
    mean = sum(x.mean(dim=(2, 3), keepdim=True) for x in (img_m1, img0, img1, img2)) / 4
    for p in predictions:
        torch.testing.assert_close(p, mean.expand_as(p), atol=1e-6, rtol=0)


def test_weighted_loss_trains_every_step_not_the_flow_network():
    model = make().train()
    img0, img1, img_m1, img2 = frames()
    target = torch.rand_like(img0)
    predictions = model.estimate(img0, img1, torch.tensor([0.5]), img_m1, img2)
    loss = sum(a * (p - target).abs().mean() for a, p in zip(model.alphas, predictions))
    loss.backward()
    # The last step's dF head feeds nothing (the reference's too): it alone gets no gradient.
    last_head = {id(p) for p in model.subnets[-1].to_state.parameters()}
    assert all(p.grad is None for p in model.subnets[-1].to_state.parameters())
    for step in model.subnets:
        grads = [p.grad for p in step.parameters() if id(p) not in last_head]
        assert all(g is not None and torch.isfinite(g).all() for g in grads)
        assert sum(int(g.abs().sum() > 0) for g in grads) >= 0.9 * len(grads)
    assert all(p.grad is None for p in model.flow_net.parameters())


def test_save_load_round_trip(narrow, tmp_path):
    path = vm.save(narrow, tmp_path / "dbvfi.safetensors")
    loaded = vm.load(path)
    assert loaded.card.family == "dbvfi" and loaded.card.context == 2
    assert loaded.steps == NARROW_STEPS and not loaded.flow_net.training
    img0, img1, img_m1, img2 = frames()
    with torch.no_grad():
        assert torch.equal(loaded(img0, img1, 0.4, img_m1, img2), narrow(img0, img1, 0.4, img_m1, img2))


# ----- ONNX export (64x64, one step, one style block): both flavours against torch -----
# Measured: max |onnx - torch| ~2.5e-6 (ONNX Runtime, portable, also at 32x48 batch 2) and ~2.0e-6
# (reference evaluator, tensorrt flavour); EXPORT_TOLERANCE leaves > 30x.

INPUT_NAMES = ["img0", "img1", "timestep", "img_m1", "img2"]


@pytest.fixture(scope="module")
def exportable():
    return make(steps=1, style_blocks=1)


def _case(model, n=1, height=SIZE, width=SIZE, seed=3):
    """(args, feeds, expected output) of one call; the timestep is [N,1,1,1], as the graph spec has it."""
    img0, img1, img_m1, img2 = frames(n=n, seed=seed, height=height, width=width)
    t = torch.linspace(0.375, 0.625, n).view(n, 1, 1, 1)
    args = (img0, img1, t, img_m1, img2)
    with torch.no_grad():
        expected = model(*args).numpy()
    return args, dict(zip(INPUT_NAMES, (a.numpy() for a in args))), expected


def _export(model, flavour, path, dynamic=False):
    from vfi.kernels.onnx_exporter import export_module

    args, feeds, expected = _case(model)
    path = export_module(
        model, args, path, flavour=flavour, opset=DEFAULT_OPSET, input_names=INPUT_NAMES, output_names=["frame"], dynamic=dynamic
    )
    return path, feeds, expected


def _op_types(path) -> set[str]:
    import onnx

    graph = onnx.load(str(path))
    return {n.op_type for n in graph.graph.node} | {n.op_type for f in graph.functions for n in f.node}


# The tensorrt flavour (custom warp and splat nodes, run by the reference evaluator) is exported and
# validated by tests/export/test_every_model_exports.py.


@pytest.mark.slow
def test_export_portable_flavour_runs_in_onnxruntime(exportable, tmp_path):
    import numpy as np
    import onnxruntime as ort

    # Dynamic N, H, W: the graph has no shape-dependent branch, so one graph serves other sizes.
    path, feeds, expected = _export(exportable, "portable", tmp_path / "dbvfi.onnx", dynamic=True)
    assert not _op_types(path) & {"VfiBackwardWarp", "VfiForwardSplat"}
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert np.abs(session.run(None, feeds)[0] - expected).max() <= EXPORT_TOLERANCE
    _, feeds, expected = _case(exportable, n=2, height=32, width=48, seed=4)
    assert np.abs(session.run(None, feeds)[0] - expected).max() <= EXPORT_TOLERANCE
