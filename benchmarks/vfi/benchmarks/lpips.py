"""LPIPS (Zhang et al., CVPR 2018, AlexNet variant) on RGB uint8 frames, when it can run offline.

It needs the ``lpips`` package (which ships its linear layers) and the torchvision AlexNet weights
already in the torch hub cache; nothing is downloaded. The other metrics are `vfi.core.metrics`.
"""

from __future__ import annotations

import numpy as np


class LpipsMetric:
    """LPIPS (AlexNet variant) on uint8 RGB frames; build with `lpips_metric`."""

    def __init__(self, net):
        self._net = net

    def __call__(self, pred: np.ndarray, gt: np.ndarray) -> float:
        import torch

        def tensor(frame):
            return torch.from_numpy(frame.astype(np.float32) / 127.5 - 1.0).permute(2, 0, 1)[None]

        with torch.inference_mode():
            return float(self._net(tensor(pred), tensor(gt)).item())


def lpips_metric() -> tuple[LpipsMetric | None, str]:
    """(metric, "") when LPIPS can run offline here, else (None, why it is omitted).

    Needs the ``lpips`` package (which ships its linear layers) and the torchvision AlexNet
    weights already in the torch hub cache; it never downloads.
    """
    import importlib.util

    if importlib.util.find_spec("lpips") is None:
        return None, "LPIPS omitted: the lpips package is not installed"
    import os

    import torch

    checkpoints = os.path.join(torch.hub.get_dir(), "checkpoints")
    names = os.listdir(checkpoints) if os.path.isdir(checkpoints) else []
    if not any(name.startswith("alexnet") for name in names):
        return None, f"LPIPS omitted: AlexNet backbone weights are not in {checkpoints} (nothing is downloaded)"
    try:
        import lpips

        net = lpips.LPIPS(net="alex", verbose=False).eval()
    except Exception as exc:  # an optional metric: report why it is missing instead of failing the run
        return None, f"LPIPS omitted: lpips failed to build ({type(exc).__name__}: {exc})"
    return LpipsMetric(net), ""
