"""Validation during training: PSNR on the held-in split.

The held-in split is scored like `vfi eval` scores: frames padded to the model's multiple
(`vfi.core.padding`), the prediction rounded to uint8 and compared with the uint8-rounded ground
truth by `vfi.core.metrics.psnr` (per sample, then averaged). Evaluation on a benchmark dataset
(Middlebury-Other) needs the runtime pipeline, a stage above this one: the caller passes it in as
an extra validation (`Trainer(extra_validation=...)`; `vfi train` passes
`vfi.benchmarks.evaluate.middlebury_validation`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

#: an extra validation: (model, torch device) -> figures for the "val" row of metrics.jsonl
ExtraValidation = Callable[[object, object], dict]


def validate_split(model, dataset, device, batch: int = 4) -> dict:
    """Mean PSNR (dB, uint8 scale) of `model` on every sample of `dataset`."""
    import numpy as np
    import torch
    from torch.utils.data import DataLoader

    from vfi.core import metrics
    from vfi.core.frames import to_uint8
    from vfi.core.graph_spec import context_input_names
    from vfi.core.padding import crop_to, pad_to_multiple

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
            # A multi-frame model's context frames follow t, nearest first (as its graph takes them).
            context = [
                pad_to_multiple(sample[k].to(device), multiple) for k in context_input_names(getattr(model, "context_frames", 1))
            ]
            pred = crop_to(model(pad_to_multiple(img0, multiple), pad_to_multiple(img1, multiple), t, *context), h, w)
            for p, g in zip(pred.float().cpu().numpy(), gt.float().cpu().numpy()):
                scores.append(metrics.psnr(to_uint8(p.transpose(1, 2, 0)), to_uint8(g.transpose(1, 2, 0))))
    model.train(was_training)
    finite = [s for s in scores if math.isfinite(s)]
    return {"psnr": float(np.mean(finite)) if finite else math.inf, "val_samples": len(scores)}
