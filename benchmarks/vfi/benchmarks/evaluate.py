"""Accuracy of a model on an evaluation dataset, through the same steps as `vfi interpolate`.

Each sample's two input frames go through the pipeline's own functions: uint8 -> float32 in
[0, 1] (`vfi.core.frames.to_model_input`), replicate padding on the bottom and right to the
model's multiple (`vfi.core.padding`), `vfi.runtime.synthesis.synthesize` on a `Runner` (so models
that only predict t = 0.5 bisect exactly as in the pipeline), crop, and rounding to uint8
(`vfi.core.frames.to_uint8_hwc`). The only pipeline step left out is scene-cut and duplicate
detection: the model is called on every sample. The rounded frame is scored with
`vfi.core.metrics` against the ground truth, as is the frame-averaging baseline.

    result = evaluate(open_dataset("middlebury", root), runner)
    result["ie"], result["samples"][0]
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from typing import Optional

import numpy as np

from vfi.benchmarks.datasets import Dataset, Triplet
from vfi.core import metrics

#: progress callback: (samples done, total or None)
ProgressFn = Callable[[int, Optional[int]], None]

PROTOCOL = {
    **metrics.PROTOCOL,
    "inference": "vfi.runtime Runner.infer via runtime.synthesis.synthesize, as vfi interpolate (no scene-cut/duplicate detection)",
    "padding": "replicate padding on bottom and right to the model's pad multiple (core.padding), cropped back",
    "rounding": "prediction rounded to nearest uint8 (core.frames.to_uint8_hwc) before scoring",
    "input_conversion": "uint8 / 255 -> float32 RGB NCHW",
    "frame_averaging_baseline": "(frame0 + frame1) // 2 on uint8",
    "aggregate": "mean over samples of per-sample figures",
}


def predict(runner, triplet: Triplet) -> np.ndarray:
    """The model's frame at ``triplet.t`` as RGB uint8 [H, W, 3], made as the pipeline makes it."""
    from vfi.core.frames import to_model_input, to_uint8_hwc
    from vfi.core.padding import crop_to, pad_to_multiple
    from vfi.runtime.synthesis import synthesize

    height, width = triplet.frame0.shape[:2]

    def tensor(frame: np.ndarray) -> np.ndarray:
        # Same conversion as the pipeline's decode stage.
        return pad_to_multiple(to_model_input(frame), runner.pad_multiple)

    context = tuple(tensor(frame) for frame in triplet.context)
    out = synthesize(runner, tensor(triplet.frame0), tensor(triplet.frame1), [triplet.t], context=context)
    return to_uint8_hwc(crop_to(out, height, width)[0])


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else math.nan


def evaluate(dataset: Dataset, runner, progress: ProgressFn | None = None, use_lpips: bool = True) -> dict:
    """Score `runner` on every sample of `dataset`; returns the result dictionary (see module doc).

    The runner is loaded here if it is not yet; the caller closes it.
    """
    runner.load()
    from vfi.benchmarks.lpips import lpips_metric

    lpips_fn, lpips_note = lpips_metric() if use_lpips else (None, "LPIPS not requested")
    rows = []
    infer_s = 0.0
    start = time.perf_counter()
    for triplet in dataset:
        before = runner.timings.mark()
        pred = predict(runner, triplet)
        infer_s += runner.timings.since(before)[1]
        row = {"name": triplet.name, "height": int(triplet.gt.shape[0]), "width": int(triplet.gt.shape[1]), "t": triplet.t}
        row.update(metrics.score(pred, triplet.gt))
        if lpips_fn is not None:
            row["lpips"] = lpips_fn(pred, triplet.gt)
        average = metrics.frame_average(triplet.frame0, triplet.frame1)
        row["frame_averaging"] = {"psnr": metrics.psnr(average, triplet.gt), "ie": metrics.ie(average, triplet.gt)}
        rows.append(row)
        if progress is not None:
            progress(len(rows), dataset.count)
    if not rows:
        from vfi.core.errors import InputError

        raise InputError(f"{dataset.name}: {dataset.root} gave no samples; expected {dataset.layout}")
    result = {
        "psnr": _mean([r["psnr"] for r in rows]),
        "ssim": _mean([r["ssim"] for r in rows]),
        "ie": _mean([r["ie"] for r in rows]),
    }
    if lpips_fn is not None:
        result["lpips"] = _mean([r["lpips"] for r in rows])
    else:
        result["lpips_note"] = lpips_note
    result["frame_averaging"] = {
        "psnr": _mean([r["frame_averaging"]["psnr"] for r in rows]),
        "ie": _mean([r["frame_averaging"]["ie"] for r in rows]),
    }
    result["count"] = len(rows)
    result["wall_s"] = time.perf_counter() - start
    result["infer_s"] = infer_s
    result["samples"] = rows
    return result


def weights_label(provenance: dict) -> str:
    """ "random-init", "trained (step N)" for a `vfi train` checkpoint, else "pretrained"."""
    source = provenance.get("source")
    if source == "random-init":
        return "random-init"
    if source == "vfi train":
        return f"trained (step {provenance.get('step', '?')})"
    return "pretrained"


def run_eval(
    dataset: str,
    root,
    model: str = "rife-4.0",
    backend: str = "auto",
    device: str = "auto",
    precision: str | None = None,
    threads: int | None = None,
    split: str | None = None,
    limit: int | None = None,
    use_lpips: bool = True,
    progress: ProgressFn | None = None,
    flow_scale: float | None = None,
) -> dict:
    """Open the dataset (checking its layout first), evaluate `model` on `backend`, and return the
    JSON-ready result: figures, per-sample rows, protocol, machine and library versions.

    `flow_scale` overrides the model's (RIFE's ``flow_scale``; None keeps its own) and is recorded,
    so `vfi report` pairs the result with bench rows at the same flow scale."""
    import datetime as _dt

    from vfi.benchmarks.datasets import open_dataset
    from vfi.benchmarks.machine import library_versions, machine_info
    from vfi.runtime.backends import create_runner

    data = open_dataset(dataset, root, split=split, limit=limit)  # the layout fails before any model loads
    hparams = None if flow_scale is None else {"flow_scale": flow_scale}
    runner = create_runner(backend, model, device=device, precision=precision, threads=threads, hparams=hparams)
    with runner:
        if runner.context > 1:  # the model's card says how many context frames each sample carries
            data = open_dataset(dataset, root, split=split, limit=limit, context=runner.context)
        figures = evaluate(data, runner, progress=progress, use_lpips=use_lpips)
        card = runner.card
    provenance = dict(card.provenance or {})
    weights = weights_label(provenance)
    return {
        "kind": "vfi-eval",
        "format": 1,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "model": card.variant,
        "model_spec": str(model),
        "flow_scale": flow_scale,
        "weights": weights,
        "provenance": provenance,
        "backend": runner.name,
        "backend_choice": runner.backend_choice,
        "device": runner.device,
        "precision": runner.precision,
        "dataset": {**data.describe(), "limit": limit},
        "pad_multiple": int(card.pad_multiple),
        **{k: v for k, v in figures.items() if k != "samples"},
        "protocol": PROTOCOL,
        "machine": machine_info(runner.device, threads),
        "libraries": library_versions(),
        "samples": figures["samples"],
    }


def middlebury_validation(root):
    """A training extra validation (`vfi.train.validation.ExtraValidation`): IE and PSNR on
    Middlebury-Other under `root` (input/ and gt/), made exactly as `vfi eval --dataset middlebury`
    makes them (the torch backend on the model being trained)."""
    from vfi.benchmarks.datasets import open_dataset
    from vfi.runtime.backends import create_runner

    data = open_dataset("middlebury", root)

    def validate(model, device) -> dict:
        was_training = model.training
        runner = create_runner("torch", model, device="cuda" if str(device).startswith("cuda") else "cpu")
        try:
            with runner:
                result = evaluate(data, runner, use_lpips=False)
        finally:
            model.train(was_training)
        return {"middlebury_ie": result["ie"], "middlebury_psnr": result["psnr"], "middlebury_samples": result["count"]}

    return validate
