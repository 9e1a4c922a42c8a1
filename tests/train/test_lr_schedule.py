"""Warm-up + cosine schedule: shape of the curve, and the torch scheduler following it."""

import math

import pytest
import torch

from vfi.train.lr_schedule import build_scheduler, lr_at


def test_warmup_is_linear_and_reaches_peak():
    lrs = [lr_at(s, 1e-3, steps=100, warmup=10, lr_min=1e-5) for s in range(10)]
    assert lrs == pytest.approx([1e-3 * (s + 1) / 10 for s in range(10)])
    assert lr_at(10, 1e-3, 100, 10, 1e-5) == pytest.approx(1e-3)  # first update after warm-up: peak


def test_cosine_decays_monotonically_to_min():
    lrs = [lr_at(s, 1e-3, steps=100, warmup=10, lr_min=1e-5) for s in range(10, 101)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))
    assert lrs[-1] == pytest.approx(1e-5)  # step == steps: the floor
    mid = lr_at(55, 1e-3, 100, 10, 1e-5)  # half-way through the decay: mean of peak and floor
    assert mid == pytest.approx((1e-3 + 1e-5) / 2)
    assert lr_at(1000, 1e-3, 100, 10, 1e-5) == pytest.approx(1e-5)  # never below the floor


def test_no_warmup_starts_at_peak():
    assert lr_at(0, 2e-4, steps=50) == pytest.approx(2e-4)
    assert lr_at(50, 2e-4, steps=50) == pytest.approx(0.0, abs=1e-12)


def test_scheduler_applies_lr_at_each_update():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([p], lr=1e-3)
    sched = build_scheduler(opt, 1e-3, steps=20, warmup=5, lr_min=1e-4)
    seen = []
    for _ in range(20):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seen == pytest.approx([lr_at(s, 1e-3, 20, 5, 1e-4) for s in range(20)])
    assert math.isclose(seen[4], 1e-3)
