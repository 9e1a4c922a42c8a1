"""Exponential moving average (EMA) of a model's weights.

After each update, every floating-point parameter and buffer of the shadow copy becomes

    shadow = d * shadow + (1 - d) * live,      d = min(decay, (1 + n) / (10 + n))

where n counts the updates seen so far (0 for the first). The ramp makes early shadows follow
the live weights closely instead of remembering the random initialisation for ~1 / (1 - decay)
updates. Integer buffers (counters) are copied. The shadow is a full module (deep copy of the
model, eval mode, no gradients), so it validates and saves like the model itself.
"""

from __future__ import annotations

import copy


class EMA:
    """The shadow copy of `model`, updated with `update(model)` after each optimiser step."""

    def __init__(self, model, decay: float):
        import torch

        self.decay = float(decay)
        self.updates = 0
        self.module = copy.deepcopy(model).eval()
        for p in self.module.parameters():
            p.requires_grad_(False)
        self._torch = torch

    def current_decay(self) -> float:
        """The decay the next `update` applies."""
        n = self.updates
        return min(self.decay, (1.0 + n) / (10.0 + n))

    def update(self, model) -> None:
        """Move the shadow towards `model`'s current weights (same architecture)."""
        d = self.current_decay()
        with self._torch.no_grad():
            live = model.state_dict()
            for name, shadow in self.module.state_dict().items():
                value = live[name].detach()
                if shadow.dtype.is_floating_point:
                    shadow.mul_(d).add_(value.to(shadow.dtype), alpha=1.0 - d)
                else:
                    shadow.copy_(value)
        self.updates += 1

    def state_dict(self) -> dict:
        return {"decay": self.decay, "updates": self.updates, "weights": self.module.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.decay = float(state["decay"])
        self.updates = int(state["updates"])
        self.module.load_state_dict(state["weights"], strict=True)
