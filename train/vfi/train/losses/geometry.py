"""Geometry consistency (IFRNet): the decoders' reconstructed intermediate features should have the
local structure of the encoder's features of the ground-truth frame.

For every pyramid level k with a decoder feature phi_k (`IFRNetEstimate.features[k]`), the loss
is the 3x3 per-channel census loss between phi_k and the encoder's features of the ground truth at
the same level (`IFRNet.encode(gt, est.mean)[k]`), summed over levels. Both sides carry gradients,
as in IFRNet (the encoder learns features whose structure the decoders can reproduce). IFRNet
weights the sum by 0.01 (the objective does).
"""

from __future__ import annotations

import torch

from vfi.train.losses.census import FEATURE_PATCH, census_loss


def geometry_consistency(decoder_features, target_features) -> torch.Tensor:
    """Sum over levels of census_loss(decoder_features[k], target_features[k], 3x3, per channel).

    `target_features` may hold more levels than `decoder_features` (the encoder's coarsest level has
    no decoder counterpart); pairs are taken level by level from the finest.
    """
    total = decoder_features[0].new_zeros(())
    for predicted, target in zip(decoder_features, target_features):
        if predicted.shape != target.shape:
            raise ValueError(f"geometry consistency: feature shapes differ, {tuple(predicted.shape)} vs {tuple(target.shape)}")
        total = total + census_loss(predicted, target, patch=FEATURE_PATCH, per_channel=True, detach_target=False)
    return total
