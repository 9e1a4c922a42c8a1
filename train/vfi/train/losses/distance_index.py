"""The distance-indexing target D_t (Zhong et al., "Clearer Frames, Anytime", 2023).

D_t is, per pixel of the target frame, the fraction of its path from I_0 to I_1 that the pixel
has covered at the target time. The paper computes it with optical flow from I_0; here it comes from
a teacher's intermediate flows F_t->0 and F_t->1 (`vfi.train.teacher`): the pixel is |F_t->0|
away from where it was in I_0 and |F_t->1| away from where it will be in I_1, so

    D_t = (|F_t->0| + t * eps) / (|F_t->0| + |F_t->1| + eps),     clamped to [0, 1],

with |.| the end-point length in pixels. The eps terms (default 0.5 px) are the safe fallback:
where the pixel barely moves (|F_t->0| + |F_t->1| << eps) the ratio is undefined and D_t -> t; where
it moves a lot, D_t -> |F_t->0| / (|F_t->0| + |F_t->1|). Under uniform linear motion
(|F_t->0| = t m, |F_t->1| = (1 - t) m) the formula gives exactly t for any m.
"""

from __future__ import annotations

import torch

#: Motion (pixels) below which D_t falls back towards t.
STILL_EPS = 0.5


def distance_index(flow_t0: torch.Tensor, flow_t1: torch.Tensor, t, eps: float = STILL_EPS) -> torch.Tensor:
    """D_t [N,1,H,W] from F_t->0 and F_t->1 ([N,2,H,W] each, pixels) and the timestep `t`
    (a float, [N] or [N,1,1,1])."""
    a = flow_t0.pow(2).sum(dim=1, keepdim=True).sqrt()
    b = flow_t1.pow(2).sum(dim=1, keepdim=True).sqrt()
    if torch.is_tensor(t):
        t = t.to(a.dtype).reshape(-1, 1, 1, 1)
    return ((a + t * eps) / (a + b + eps)).clamp(0.0, 1.0)
