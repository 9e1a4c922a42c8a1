"""Texture consistency loss (Zhou et al., CVPR 2023, the CSPA paper): relax the ground truth.

Motion between two frames is ambiguous, so a sharp frame that differs from the ground truth is as
plausible as the ground truth, while the per-pixel loss to the ground truth rewards the blurry
average. The texture consistency loss instead asks every patch of the prediction to look like some
patch of the inputs: for each pixel x, the p x p patch of the prediction around x is compared
(sum of squared differences) with the patches of I0 and I1 around x + o for every offset o in a
small s x s search window; the centre pixel of the best match, I_i*(x + o*), is the pseudo label,
and the loss is the mean L1 between the prediction and these labels. The search has no gradient.

Defaults here: 3x3 patches, a 7x7 search window (our choice for 256 px training crops).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

PATCH = 3
WINDOW = 7


def _shifted(img: torch.Tensor, dy: int, dx: int, r: int) -> torch.Tensor:
    """img(x + (dx, dy)) for every x, borders replicated; `img` is pre-padded by `r`."""
    h, w = img.shape[-2] - 2 * r, img.shape[-1] - 2 * r
    return img[..., r + dy : r + dy + h, r + dx : r + dx + w]


def texture_targets(pred: torch.Tensor, img0: torch.Tensor, img1: torch.Tensor, patch: int = PATCH, window: int = WINDOW):
    """The pseudo label [N,C,H,W]: per pixel, the centre of the input patch closest to the
    prediction's patch (searched in both inputs within `window`). No gradient."""
    if patch % 2 == 0 or window % 2 == 0:
        raise ValueError(f"texture consistency patch and window must be odd; got {patch}, {window}")
    r = window // 2
    with torch.no_grad():
        pred = pred.detach()
        best_cost = None
        best = None
        for source in (img0, img1):
            padded = F.pad(source, (r, r, r, r), mode="replicate")
            for dy in range(-r, r + 1):
                for dx in range(-r, r + 1):
                    candidate = _shifted(padded, dy, dx, r)
                    ssd = ((pred - candidate) ** 2).sum(dim=1, keepdim=True)
                    # Patch cost: box sum of the per-pixel cost (replicate-padded at the border).
                    cost = F.avg_pool2d(F.pad(ssd, (patch // 2,) * 4, mode="replicate"), patch, stride=1)
                    if best_cost is None:
                        best_cost, best = cost, candidate.clone()
                    else:
                        better = cost < best_cost
                        best_cost = torch.where(better, cost, best_cost)
                        best = torch.where(better, candidate, best)
        return best


def texture_consistency_loss(
    pred: torch.Tensor, img0: torch.Tensor, img1: torch.Tensor, patch: int = PATCH, window: int = WINDOW
) -> torch.Tensor:
    """Mean |pred - texture_targets(pred, img0, img1)|."""
    return (pred - texture_targets(pred, img0, img1, patch, window)).abs().mean()
