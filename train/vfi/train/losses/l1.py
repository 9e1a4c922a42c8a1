"""L1 loss, CAIN's only training loss (Choi et al., 2020: mean absolute error to the ground truth)."""

from __future__ import annotations

import torch


def l1_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean |pred - target| over all elements."""
    return (pred - target).abs().mean()
