"""Validation during training: PSNR on the held-in split, and Middlebury-Other when given.

The held-in split is scored like `vfi eval` scores: the prediction is clamped, rounded to uint8 and
compared with the uint8-rounded ground truth by `vfi.benchmarks.metrics.psnr` (per sample, then
averaged). Middlebury-Other goes through `vfi.benchmarks.evaluate` itself (the runtime pipeline's
padding and rounding), so its IE is the figure `vfi eval --dataset middlebury` would print.
"""

from __future__ import annotations

import math


def _pad(x, multiple: int):
    import torch.nn.functional as F

    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    return F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x


def validate_split(model, dataset, device, batch: int = 4) -> dict:
    """Mean PSNR (dB, uint8 scale) of `model` on every sample of `dataset`."""
    import numpy as np
    import torch
    from torch.utils.data import DataLoader

    from vfi.benchmarks import metrics

    was_training = model.training
    model.eval()
    multiple = int(getattr(model, "pad_multiple", 1))
    scores = []
    loader = DataLoader(dataset, batch_size=batch, shuffle=False, num_workers=0)
    with torch.no_grad():
        for sample in loader:
            img0, img1, gt = (sample[k].to(device) for k in ("img0", "img1", "gt"))
            t = sample["t"].to(device=device, dtype=img0.dtype)
            h, w = gt.shape[-2:]
            pred = model(_pad(img0, multiple), _pad(img1, multiple), t)[..., :h, :w]
            for p, g in zip(pred.float().cpu().numpy(), gt.float().cpu().numpy()):
                scores.append(metrics.psnr(metrics.to_uint8(p.transpose(1, 2, 0)), metrics.to_uint8(g.transpose(1, 2, 0))))
    model.train(was_training)
    finite = [s for s in scores if math.isfinite(s)]
    return {"psnr": float(np.mean(finite)) if finite else math.inf, "val_samples": len(scores)}


def validate_middlebury(model, root, device: str) -> dict:
    """IE and PSNR on Middlebury-Other (``root`` holds input/ and gt/), through `vfi.benchmarks.evaluate`."""
    from vfi.benchmarks.datasets import open_dataset
    from vfi.benchmarks.evaluate import evaluate
    from vfi.runtime.backends import create_runner

    was_training = model.training
    data = open_dataset("middlebury", root)
    runner = create_runner("torch", model, device="cuda" if str(device).startswith("cuda") else "cpu")
    try:
        with runner:
            result = evaluate(data, runner, use_lpips=False)
    finally:
        model.train(was_training)
    return {"middlebury_ie": result["ie"], "middlebury_psnr": result["psnr"], "middlebury_samples": result["count"]}
