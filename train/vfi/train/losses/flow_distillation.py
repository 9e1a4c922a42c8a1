"""Task-oriented flow distillation (IFRNet, Kong et al., CVPR 2022), with robustness weights.

A teacher (a pretrained flow or VFI network, see `vfi.train.teacher`) gives intermediate flows
F^p_t->0, F^p_t->1 at full resolution. Every coarser flow estimate of the student is upsampled
to full resolution (values times the resolution ratio) and pulled towards the teacher's flow with
IFRNet's adaptive robust penalty

    rho_P(d) = (d^2 + eps(P)^2)^(P / 2),   eps(P) = 10^(-(10 P - 1) / 3),

whose robustness P in [0, 1] is set per pixel: P = 1 is a Charbonnier (L1-like) penalty, P -> 0 a
nearly constant one (no pull). The teacher is not trusted everywhere; P multiplies two factors:

* agreement (IFRNet): P_agree = exp(-beta * |F_student - F^p|), with the student's *final* flow,
  which the reconstruction loss trains for the task: where the task-tuned flow disagrees with the
  teacher, the teacher is probably wrong for the task (beta = 0.3, as IFRNet);
* warp check (ours): P_warp = exp(-e / tolerance) with e the mean absolute error of warp(I_i, F^p_t->i)
  against the ground truth: where warping with the teacher's flow does not reproduce the target
  frame, the teacher's flow is wrong there (occlusion, failure) and is not distilled. This adds
  what only training data knows (the ground truth) to IFRNet's rule.

``robustness="agreement"`` reproduces IFRNet; "warp" uses only the warp check; "both" (default)
their product.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from vfi.kernels import backward_warp

#: IFRNet's beta of the agreement weight (1 / pixels).
AGREEMENT_BETA = 0.3
#: Mean absolute warp error (images in [0, 1]) at which the warp check's weight is 1/e.
WARP_TOLERANCE = 0.05
ROBUSTNESS_MODES = ("agreement", "warp", "both")


def adaptive_robust(diff: torch.Tensor, robustness: torch.Tensor) -> torch.Tensor:
    """IFRNet's adaptive penalty (d^2 + eps(P)^2)^(P/2), elementwise, `robustness` P in [0, 1]."""
    alpha = robustness / 2
    eps = 10 ** (-(10 * robustness - 1) / 3)
    return (diff * diff + eps * eps) ** alpha


def agreement_weight(student_flow: torch.Tensor, teacher_flow: torch.Tensor, beta: float = AGREEMENT_BETA) -> torch.Tensor:
    """[N,2,H,W]: exp(-beta * end-point error) per direction (t->0, t->1), no gradient."""
    diff = (student_flow.detach() - teacher_flow).reshape(student_flow.shape[0], 2, 2, *student_flow.shape[-2:])
    return torch.exp(-beta * diff.pow(2).sum(dim=2).sqrt())


def warp_weight(
    img0: torch.Tensor, img1: torch.Tensor, gt: torch.Tensor, teacher_flow: torch.Tensor, tolerance: float = WARP_TOLERANCE
) -> torch.Tensor:
    """[N,2,H,W]: exp(-e_i / tolerance), e_i the per-pixel mean |warp(I_i, F^p_t->i) - gt| over channels."""
    with torch.no_grad():
        e0 = (backward_warp(img0, teacher_flow[:, 0:2]) - gt).abs().mean(dim=1, keepdim=True)
        e1 = (backward_warp(img1, teacher_flow[:, 2:4]) - gt).abs().mean(dim=1, keepdim=True)
        return torch.exp(-torch.cat((e0, e1), 1) / tolerance)


def robustness_weight(
    teacher_flow: torch.Tensor,
    student_flow: torch.Tensor | None = None,
    img0: torch.Tensor | None = None,
    img1: torch.Tensor | None = None,
    gt: torch.Tensor | None = None,
    mode: str = "both",
    beta: float = AGREEMENT_BETA,
    tolerance: float = WARP_TOLERANCE,
) -> torch.Tensor:
    """Per-pixel trust in the teacher, [N,2,H,W] in [0, 1] (channel 0: F_t->0, 1: F_t->1).

    `student_flow` (the student's final full-resolution flow, [N,4,H,W]) is needed by "agreement"
    and "both"; `img0`, `img1`, `gt` by "warp" and "both".
    """
    if mode not in ROBUSTNESS_MODES:
        raise ValueError(f"robustness mode must be one of {ROBUSTNESS_MODES}; got {mode!r}")
    weight = torch.ones_like(teacher_flow[:, 0:2])
    if mode in ("agreement", "both"):
        weight = weight * agreement_weight(student_flow, teacher_flow, beta)
    if mode in ("warp", "both"):
        weight = weight * warp_weight(img0, img1, gt, teacher_flow, tolerance)
    return weight.detach()


def upsample_flow(flow: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """`flow` [N,C,h,w] (pixels of its resolution) resized bilinearly to `size`, values rescaled."""
    h, w = flow.shape[-2:]
    if (h, w) == tuple(size):
        return flow
    up = F.interpolate(flow, size=size, mode="bilinear", align_corners=False)
    scale = torch.tensor([size[1] / w, size[0] / h], dtype=flow.dtype, device=flow.device)
    return up * scale.repeat(flow.shape[1] // 2).view(1, -1, 1, 1)


def flow_distillation_loss(student_flows, teacher_flow: torch.Tensor, robustness: torch.Tensor) -> torch.Tensor:
    """Sum over `student_flows` (each [N,4,h,w], any resolution) of the mean adaptive robust
    penalty between the upsampled flow and `teacher_flow` [N,4,H,W], with per-pixel `robustness`
    [N,2,H,W] (see `robustness_weight`). IFRNet weights the sum by 0.01 (the objective does)."""
    size = teacher_flow.shape[-2:]
    p = robustness.repeat_interleave(2, dim=1)  # one weight per flow component
    total = teacher_flow.new_zeros(())
    for flow in student_flows:
        total = total + adaptive_robust(upsample_flow(flow, size) - teacher_flow, p).mean()
    return total
