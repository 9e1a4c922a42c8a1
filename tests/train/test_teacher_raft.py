"""RAFT as a flow teacher (`vfi.train.teacher.FlowTeacher`): measured flows from the ground-truth
frame, Super SloMo's approximation without it, loading by name and by checkpoint, and a training
step of a distance-indexing objective fed by it. Random weights: the flows are not meaningful,
the plumbing and formulas are what is checked."""

from __future__ import annotations

import math

import pytest
import torch
from torch.utils.data import default_collate

import vfi.models as vm
from vfi.core.errors import InputError, WeightsMissing
from vfi.models.flow_estimators import create_flow_estimator
from vfi.train.data import build_dataset
from vfi.train.objectives import build_objective
from vfi.train.teacher import FlowTeacher, Teacher, load_teacher

#: Narrow widths and few iterations: the teacher's plumbing does not need good flows.
TINY_RAFT = {"iters": 2, "encoder_widths": (16, 16, 16), "feature_dim": 32, "hidden_dim": 32, "context_dim": 32}


def frames(n=2, height=64, width=64, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(3, n, 3, height, width, generator=generator).unbind(0)


@pytest.fixture(scope="module")
def raft_teacher():
    torch.manual_seed(0)
    return FlowTeacher(create_flow_estimator("raft", **TINY_RAFT))


def test_frozen_and_rejects_interpolators(raft_teacher):
    assert not raft_teacher.model.training
    assert not any(p.requires_grad for p in raft_teacher.model.parameters())
    assert raft_teacher.pad_multiple == 8
    with pytest.raises(InputError, match="not an optical flow estimator"):
        FlowTeacher(vm.create("rife-4.0-fast", block_widths=(8, 8, 8, 8)))


def test_with_ground_truth_the_flows_are_measured_from_it(raft_teacher):
    img0, img1, gt = frames()
    flow_t0, flow_t1 = raft_teacher.flows(img0, img1, 0.5, gt=gt)
    with torch.no_grad():
        torch.testing.assert_close(flow_t0, raft_teacher.model(gt, img0), atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(flow_t1, raft_teacher.model(gt, img1), atol=1e-4, rtol=1e-4)
    assert flow_t0.shape == (2, 2, 64, 64) and not flow_t0.requires_grad


def test_without_ground_truth_super_slomo_approximation(raft_teacher):
    img0, img1, _ = frames()
    flow01 = raft_teacher.pair_flows(img0, img1)
    flow10 = raft_teacher.pair_flows(img1, img0)
    t = torch.tensor([0.25, 0.5])
    flow_t0, flow_t1 = raft_teacher.flows(img0, img1, t)
    for k, tk in enumerate(t.tolist()):
        expected_t0 = -(1 - tk) * tk * flow01[k] + tk**2 * flow10[k]
        expected_t1 = (1 - tk) ** 2 * flow01[k] - tk * (1 - tk) * flow10[k]
        torch.testing.assert_close(flow_t0[k], expected_t0, atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(flow_t1[k], expected_t1, atol=1e-4, rtol=1e-4)
    # At the ends: t = 0 gives (0, F_0->1), t = 1 gives (F_1->0, 0).
    start = raft_teacher.flows(img0, img1, 0.0)
    end = raft_teacher.flows(img0, img1, 1.0)
    torch.testing.assert_close(start[0], torch.zeros_like(flow01))
    torch.testing.assert_close(start[1], flow01, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(end[0], flow10, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(end[1], torch.zeros_like(flow01))


def test_any_frame_size_is_padded_and_cropped(raft_teacher):
    img0, img1, gt = frames(n=1, height=66, width=70)
    for flow in raft_teacher.flows(img0, img1, 0.5) + raft_teacher.flows(img0, img1, 0.5, gt=gt):
        assert flow.shape == (1, 2, 66, 70) and bool(torch.isfinite(flow).all())


def test_vfi_teacher_accepts_and_ignores_gt():
    torch.manual_seed(0)
    teacher = Teacher(vm.create("rife-4.0-fast", block_widths=(8, 8, 8, 8)))
    img0, img1, gt = frames(n=1, height=32, width=32)
    plain = teacher.flows(img0, img1, 0.5)
    with_gt = teacher.flows(img0, img1, 0.5, gt=gt)
    assert all(torch.equal(a, b) for a, b in zip(plain, with_gt))


def test_load_teacher_by_checkpoint_and_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("VFI_CACHE_DIR", str(tmp_path / "cache"))
    torch.manual_seed(0)
    net = create_flow_estimator("raft", **TINY_RAFT)
    path = vm.save(net, tmp_path / "raft.safetensors")
    teacher = load_teacher(path)
    assert isinstance(teacher, FlowTeacher)
    img0, img1, gt = frames(n=1)
    with torch.no_grad():
        torch.testing.assert_close(teacher.flows(img0, img1, 0.5, gt=gt)[0], net.eval()(gt, img0))
    # Official weights cannot be downloaded: the name says how to convert them.
    with pytest.raises(WeightsMissing, match="raft_import"):
        load_teacher("raft")


def test_distance_indexing_step_with_a_raft_teacher(raft_teacher):
    ds = build_dataset("synthetic", crop=64, length=2, seed=1)
    batch = default_collate([ds[0], ds[1]])
    torch.manual_seed(0)
    model = vm.create("ifrnet-di", widths=[8, 12, 16, 20], side_channels=8).train()
    loss, terms = build_objective("ifrnet-di", model, teacher=raft_teacher)(batch)
    loss.backward()
    assert math.isfinite(float(loss.detach())) and all(math.isfinite(v) for v in terms.values())
    assert not any(p.grad is not None for p in raft_teacher.model.parameters())
