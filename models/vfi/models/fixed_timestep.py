"""Timestep rule of the families with timestep_mode "fixed" (CAIN, CSPA): they only predict t = 0.5.

Such a network has no timestep input; it was trained on triplets and always returns the middle
frame. Accepting another `t` silently would return the wrong frame, so `check_middle_timestep`
refuses it with `MiddleFrameOnlyError` (an `InputError` the CLI prints, and a `ValueError`).
"""

from __future__ import annotations

import torch

from vfi.core.errors import InputError
from vfi.models.frame_checks import is_tracing

#: The only timestep a "fixed" model predicts.
MIDDLE_TIMESTEP = 0.5


class MiddleFrameOnlyError(InputError, ValueError):
    """A timestep other than 0.5 given to a model that only predicts the middle frame."""


def check_middle_timestep(t, family: str) -> None:
    """Raise `MiddleFrameOnlyError` unless `t` is 0.5 (a float, or a tensor whose values are all 0.5).

    Tensor values are not read on meta tensors (cost counting) or while tracing (export), where
    they are unknown; the exported graph has no timestep input anyway.
    """
    if torch.is_tensor(t):
        if t.is_meta or is_tracing():
            return
        ok = t.numel() > 0 and bool(torch.all(t == MIDDLE_TIMESTEP))
        shown = f"a tensor with values in [{t.min().item():g}, {t.max().item():g}]" if t.numel() else "an empty tensor"
    else:
        try:
            ok = float(t) == MIDDLE_TIMESTEP
        except (TypeError, ValueError):
            ok = False
        shown = repr(t)
    if not ok:
        raise MiddleFrameOnlyError(
            f"{family} only predicts the middle frame (t = {MIDDLE_TIMESTEP}); got t = {shown}. "
            f"Use a model with timestep_mode 'scalar' (e.g. rife-4.0) for other timesteps, or "
            f"interpolate recursively by halving"
        )
