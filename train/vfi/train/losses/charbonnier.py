"""Charbonnier loss: a differentiable L1, sqrt(d^2 + eps^2), used by RIFE, IFRNet and most VFI work."""

from __future__ import annotations

import torch

DEFAULT_EPS = 1e-3


def charbonnier(pred: torch.Tensor, target: torch.Tensor, eps: float = DEFAULT_EPS, weight: torch.Tensor | None = None):
    """Mean of sqrt((pred - target)^2 + eps^2) over all elements.

    `weight` (broadcastable to the difference), when given, weights each element and the mean is
    taken over the weights (sum(w * rho) / sum(w)). The minimum, for pred == target, is `eps`
    (not 0): the constant offset carries no gradient.
    """
    rho = torch.sqrt((pred - target) ** 2 + eps * eps)
    if weight is None:
        return rho.mean()
    weight = weight.expand_as(rho)
    return (weight * rho).sum() / weight.sum().clamp_min(1e-12)


def charbonnier_excess(pred: torch.Tensor, target: torch.Tensor, eps: float = DEFAULT_EPS) -> torch.Tensor:
    """`charbonnier` minus its floor `eps`: exactly 0 for identical inputs (for logs and tests)."""
    return charbonnier(pred, target, eps) - eps
