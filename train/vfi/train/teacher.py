"""Teachers: frozen networks whose intermediate flows supervise a student (flow distillation) or
define distance-indexing targets.

    teacher = load_teacher("rife-4.0")           # pretrained RIFE 4.0 (after `vfi weights import rife`)
    flow_t0, flow_t1 = teacher.flows(img0, img1, t)   # [N,2,H,W] each, pixels

Any model whose `estimate()` returns intermediate flows can teach: RIFE 4.0 (its last block's
flow) and IFRNet / UGSP (`.flow`). Frames are padded (replicate) to the teacher's pad multiple and
the flows cropped back, so any frame size works. The teacher runs in eval mode without gradients;
RIFE runs in "fast" mode (its flows do not depend on the refinement network).
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
    def flows(self, img0: torch.Tensor, img1: torch.Tensor, t) -> tuple[torch.Tensor, torch.Tensor]:
        """(F_t->0, F_t->1), each [N,2,H,W] in pixels, at the frames' resolution and device.

        `t`: a float, an [N] or [N,1,1,1] tensor.
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
    """The teacher called `name_or_path`: a registered model name with pretrained weights, or a
    checkpoint path (`vfi.models.load`). Raises `WeightsMissing` as is when the weights of a
    registered name have not been imported (the message says which command imports them)."""
    import vfi.models as vm

    teacher = Teacher(vm.load(name_or_path))
    return teacher.to(device) if device is not None else teacher
