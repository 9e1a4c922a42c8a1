"""Teachers: frozen networks whose intermediate flows supervise a student (flow distillation) or
define distance-indexing targets.

    teacher = load_teacher("rife-4.0")           # pretrained RIFE 4.0 (after `vfi weights import rife`)
    flow_t0, flow_t1 = teacher.flows(img0, img1, t)   # [N,2,H,W] each, pixels

Any model whose `estimate()` returns intermediate flows can teach: RIFE 4.0 (its last block's
flow) and IFRNet / UGSP (`.flow`). Frames are padded (replicate) to the teacher's pad multiple and
the flows cropped back, so any frame size works. The teacher runs in eval mode without gradients;
RIFE runs in "fast" mode (its flows do not depend on the refinement network).

An optical flow estimator (``task == "flow"``, e.g. RAFT; `vfi.models.flow_estimators`) teaches
through `FlowTeacher`, which `load_teacher("raft")` or a RAFT checkpoint path returns. It has no
notion of t, so it estimates the intermediate flows from the frames it is given:

- with the ground-truth middle frame (``flows(img0, img1, t, gt=gt)``), F_t->0 = flow(gt, img0) and
  F_t->1 = flow(gt, img1), measured, as IFRNet's distillation teacher (a flow network run from I_t
  to I_0 and I_1) and the distance-indexing paper's RAFT targets are;
- without it, F_0->1 and F_1->0 are estimated and combined by Super SloMo's linear-motion
  approximation (Jiang et al., CVPR 2018, eq. 4):
  F_t->0 = -(1-t) t F_0->1 + t^2 F_1->0,  F_t->1 = (1-t)^2 F_0->1 - t (1-t) F_1->0.
  Under that approximation the distance index |F_t->0| / (|F_t->0| + |F_t->1|) is t wherever the two
  flows agree, so distance-indexing targets need `gt`.

Every teacher's `flows` takes the optional `gt`; VFI teachers ignore it (they estimate the flows at
t from the two input frames, as before).
"""

from __future__ import annotations

import os

import torch
from torch import nn

from vfi.core.errors import InputError

DEFAULT_TEACHER = "rife-4.0"


class Teacher:
    """A frozen flow teacher around a model with `estimate(img0, img1, t)`.

    Args:
        model: e.g. `vfi.models.load("rife-4.0")`; put in eval mode, gradients off.
    """

    def __init__(self, model: nn.Module):
        if not hasattr(model, "estimate"):
            raise InputError(f"{type(model).__name__} cannot teach flows: it has no estimate() with intermediate flows")
        if getattr(model, "timestep_mode", "scalar") == "fixed":
            raise InputError(f"{type(model).__name__} predicts the middle frame only; a flow teacher must take any t")
        self.model = model.eval()
        self.model.requires_grad_(False)
        if hasattr(self.model, "mode"):
            self.model.mode = "fast"  # flows and mask only: RIFE's refinement does not change the flows
        self.pad_multiple = int(getattr(model, "pad_multiple", 1))

    def to(self, device) -> Teacher:
        self.model.to(device)
        return self

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @torch.no_grad()
    def flows(
        self, img0: torch.Tensor, img1: torch.Tensor, t, gt: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(F_t->0, F_t->1), each [N,2,H,W] in pixels, at the frames' resolution and device.

        `t`: a float, an [N] or [N,1,1,1] tensor. `gt`: the frame at t; accepted for the common
        teacher interface and not used (a VFI teacher estimates the flows at t from img0, img1).
        """
        from vfi.core.padding import crop_to, pad_to_multiple

        h, w = img0.shape[-2:]
        device = img0.device
        a = pad_to_multiple(img0.to(self.device, torch.float32), self.pad_multiple)
        b = pad_to_multiple(img1.to(self.device, torch.float32), self.pad_multiple)
        if torch.is_tensor(t):
            t = t.to(self.device, torch.float32).reshape(-1)
        flow = crop_to(final_flow(self.model.estimate(a, b, t)), h, w).to(device)
        return flow[:, 0:2].contiguous(), flow[:, 2:4].contiguous()


class FlowTeacher(Teacher):
    """A frozen optical flow estimator (``task == "flow"``, e.g. RAFT) as a flow teacher; see the
    module docstring for how it gets flows at t.

    Args:
        model: ``model(img0, img1)`` -> F_0->1 [N,2,H,W] in pixels; put in eval mode, gradients off.
    """

    def __init__(self, model: nn.Module):
        from vfi.models.flow_estimators import is_flow_estimator

        if not is_flow_estimator(model):
            raise InputError(f"{type(model).__name__} is not an optical flow estimator (task 'flow')")
        self.model = model.eval()
        self.model.requires_grad_(False)
        self.pad_multiple = int(getattr(model, "pad_multiple", 1))

    @torch.no_grad()
    def pair_flows(self, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The estimator's flow from `source` to `target` [N,2,H,W] (pixels), any frame size."""
        from vfi.core.padding import crop_to, pad_to_multiple

        h, w = source.shape[-2:]
        a = pad_to_multiple(source.to(self.device, torch.float32), self.pad_multiple)
        b = pad_to_multiple(target.to(self.device, torch.float32), self.pad_multiple)
        return crop_to(self.model(a, b), h, w).to(source.device)

    @torch.no_grad()
    def flows(
        self, img0: torch.Tensor, img1: torch.Tensor, t, gt: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(F_t->0, F_t->1), each [N,2,H,W] in pixels: measured from `gt` when given, otherwise
        Super SloMo's approximation from F_0->1 and F_1->0 at `t` (a float, [N] or [N,1,1,1])."""
        n = img0.shape[0]
        if gt is not None:
            # One batch of 2N pairs: (gt, img0) and (gt, img1).
            both = self.pair_flows(torch.cat([gt, gt]), torch.cat([img0, img1]))
            return both[:n].contiguous(), both[n:].contiguous()
        both = self.pair_flows(torch.cat([img0, img1]), torch.cat([img1, img0]))
        flow01, flow10 = both[:n], both[n:]
        t = torch.as_tensor(t, dtype=flow01.dtype, device=flow01.device).reshape(-1, 1, 1, 1)
        flow_t0 = -(1 - t) * t * flow01 + t * t * flow10
        flow_t1 = (1 - t) * (1 - t) * flow01 - t * (1 - t) * flow10
        return flow_t0, flow_t1


def final_flow(estimate) -> torch.Tensor:
    """The final full-resolution flow [N,4,H,W] of an estimate: its ``flow`` (IFRNet) or else the
    last of its finest ``flows`` (RIFE: every block is at full resolution, the last is final; UGSP:
    flows[0] is the only full-resolution one)."""
    flow = getattr(estimate, "flow", None)
    if flow is not None:
        return flow
    area = max(f.shape[-2] * f.shape[-1] for f in estimate.flows)
    return [f for f in estimate.flows if f.shape[-2] * f.shape[-1] == area][-1]


def load_teacher(name_or_path: str | os.PathLike = DEFAULT_TEACHER, device=None) -> Teacher:
    """The teacher called `name_or_path`: a registered model name with pretrained weights, a flow
    estimator name (`vfi.models.flow_estimators`, e.g. "raft"), or a checkpoint path
    (`vfi.models.load`; a flow estimator's checkpoint gives a `FlowTeacher`). Raises
    `WeightsMissing` as is when the weights of a name have not been imported (the message says
    which command imports them)."""
    import vfi.models as vm
    from vfi.models.flow_estimators import FLOW_ESTIMATORS, is_flow_estimator, load_flow_estimator

    if str(name_or_path) in FLOW_ESTIMATORS:
        model = load_flow_estimator(str(name_or_path))
    else:
        model = vm.load(name_or_path)
    teacher = FlowTeacher(model) if is_flow_estimator(model) else Teacher(model)
    return teacher.to(device) if device is not None else teacher
