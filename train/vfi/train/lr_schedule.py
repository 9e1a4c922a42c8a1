"""Learning-rate schedule: linear warm-up, then cosine decay to a floor.

The shape RIFE (ECCV 2022) and IFRNet (CVPR 2022) train with. Update ``s`` (0-based, the s-th call
of ``optimizer.step()``) uses

    lr(s) = lr * (s + 1) / warmup                                       for s < warmup
    lr(s) = lr_min + (lr - lr_min) * (1 + cos(pi * p)) / 2,  p = (s - warmup) / (steps - warmup)

so the first update already has a non-zero rate, the peak is reached on update ``warmup`` and the
rate reaches ``lr_min`` at ``s = steps`` (one past the last update). The schedule is a pure function
of the update count, so resuming restores it exactly from the step alone.
"""

from __future__ import annotations

import math


def lr_at(step: int, lr: float, steps: int, warmup: int = 0, lr_min: float = 0.0) -> float:
    """Learning rate of update `step` (0-based) in a run of `steps` updates."""
    if warmup > 0 and step < warmup:
        return lr * (step + 1) / warmup
    span = max(1, steps - warmup)
    progress = min(1.0, max(0.0, (step - warmup) / span))
    return lr_min + (lr - lr_min) * 0.5 * (1.0 + math.cos(math.pi * progress))


def build_scheduler(optimizer, lr: float, steps: int, warmup: int = 0, lr_min: float = 0.0):
    """A `torch.optim.lr_scheduler.LambdaLR` following `lr_at`.

    The optimizer's param groups must have been created with ``lr=lr``; the scheduler multiplies
    that by ``lr_at(step) / lr``. Call ``scheduler.step()`` after each ``optimizer.step()``.
    """
    import torch

    def factor(step: int) -> float:
        return lr_at(step, lr, steps, warmup, lr_min) / lr

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
