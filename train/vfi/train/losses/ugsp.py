"""UGSP's training objective (Cheng et al., ACM MM 2023), wrapping `UGSP.training_losses`.

The model computes its own terms (see `vfi.models.ugsp.UGSP.training_losses`): reconstruction
(Charbonnier), the uncertainty loss L_su (heteroscedastic likelihood of the frame error under the
UEN's log-variance), uncertainty-guided mask supervision L_ugm (the decoders' uncertainty logits
against the UEN's top-S_t positions) and the sparsity target L_s (mean mask density pulled to
S_t). This module adds the optional *self-contrast* shortcut term: a second, dense pass of the same
network (density 1, no pruning) is trained on the frame too, and the pruned decoders' features are
pulled towards the dense pass's (detached) features, so pruning learns to keep what the dense path
computes. It doubles the cost of a step and is off unless its weight is positive.
"""

from __future__ import annotations

import torch

from vfi.train.losses.charbonnier import charbonnier


def ugsp_losses(
    model,
    est,
    gt: torch.Tensor,
    weights: dict | None = None,
    self_contrast: float = 0.0,
    img0: torch.Tensor | None = None,
    img1: torch.Tensor | None = None,
    t=None,
) -> dict:
    """UGSP's terms for one estimate (made in training mode); ``total`` is their weighted sum.

    `weights` override `vfi.models.ugsp.LOSS_WEIGHTS` (keys "uncertainty", "mask_label",
    "density"). With ``self_contrast > 0``, `img0`, `img1`, `t` are needed for the dense pass and the
    terms gain ``self_contrast`` (dense reconstruction + feature agreement).
    """
    terms = model.training_losses(est, gt, weights)
    if self_contrast > 0:
        if img0 is None or img1 is None or t is None:
            raise ValueError("the self-contrast term needs img0, img1 and t for the dense pass")
        dense = dense_estimate(model, img0, img1, t)
        feature_agreement = sum((pruned - full.detach()).abs().mean() for pruned, full in zip(est.features, dense.features))
        contrast = charbonnier(dense.frame, gt) + feature_agreement
        terms["self_contrast"] = contrast
        terms["total"] = terms["total"] + self_contrast * contrast
    return terms


def dense_estimate(model, img0, img1, t):
    """`model.estimate` with pruning off (every position computed), same weights."""
    density, mode = model.density, model.mask_mode
    model.density, model.mask_mode = 1.0, "topk"
    try:
        return model.estimate(img0, img1, t)
    finally:
        model.density, model.mask_mode = density, mode
