"""Census (ternary) loss: compares local structure, not intensities.

The census transform of an image describes each pixel by how every neighbour in a p x p patch
differs from it; the soft version (used by Meister et al. for unsupervised flow, RIFE and IFRNet)
keeps the signed difference squashed into (-1, 1):

    c(x)_j = (I(x + o_j) - I(x)) / sqrt(0.81 + (I(x + o_j) - I(x))^2)

and two transforms are compared with a soft Hamming distance per neighbour,
d^2 / (0.1 + d^2), averaged over the neighbours and over the pixels whose patch lies inside the
image (a border of p // 2 pixels is masked out). Images are reduced to one channel (mean of RGB)
and use 7x7 patches; features (IFRNet's geometry consistency) are transformed per channel with
3x3 patches. A constant brightness offset leaves the transform, hence the loss, unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

IMAGE_PATCH = 7
FEATURE_PATCH = 3
#: 0.9^2: the softness of the sign in the transform.
TRANSFORM_SOFTNESS = 0.81
#: The softness of the Hamming distance.
HAMMING_SOFTNESS = 0.1


def census_transform(x: torch.Tensor, patch: int = IMAGE_PATCH, per_channel: bool = False) -> torch.Tensor:
    """Soft census transform of `x` [N,C,H,W]: [N, K * patch^2, H, W] with K = C if `per_channel`
    else 1 (channels averaged first). Neighbours outside the image count as zero (masked later)."""
    if not per_channel:
        x = x.mean(dim=1, keepdim=True)
    n, c, h, w = x.shape
    flat = x.reshape(n * c, 1, h, w)
    patches = F.unfold(flat, patch, padding=patch // 2).reshape(n * c, patch * patch, h, w)
    diff = patches - flat
    return (diff / torch.sqrt(TRANSFORM_SOFTNESS + diff * diff)).reshape(n, c * patch * patch, h, w)


def valid_mask(like: torch.Tensor, patch: int) -> torch.Tensor:
    """[1,1,H,W]: 1 where the whole patch lies inside the image, else 0."""
    h, w = like.shape[-2:]
    r = patch // 2
    mask = like.new_zeros((1, 1, h, w))
    mask[..., r : h - r, r : w - r] = 1
    return mask


def census_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    patch: int = IMAGE_PATCH,
    per_channel: bool = False,
    detach_target: bool = True,
) -> torch.Tensor:
    """Mean soft Hamming distance between the census transforms of `pred` and `target`.

    `detach_target`: no gradient through the target's transform (images: the target is data;
    IFRNet detaches it too). The geometry loss passes False, as its target features are learned.
    """
    tp = census_transform(pred, patch, per_channel)
    tt = census_transform(target, patch, per_channel)
    if detach_target:
        tt = tt.detach()
    d2 = (tp - tt) ** 2
    distance = (d2 / (HAMMING_SOFTNESS + d2)).mean(dim=1, keepdim=True)
    return (distance * valid_mask(distance, patch)).mean()
