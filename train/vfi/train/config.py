"""The settings of one training run: what a recipe file holds, after command-line overrides.

A run is fully described by a `TrainConfig`; it is written to ``<out>/config.json`` at the start
and into the checkpoints' provenance, so a checkpoint says how it was trained.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from vfi.core.errors import InputError

#: accepted values of `TrainConfig.amp`
AMP_MODES = ("auto", "off", "bf16", "fp16")


@dataclass
class TrainConfig:
    """Every setting of a training run.

    Attributes:
        recipe: name (or path) of the recipe the run started from; provenance only.
        model: registered model name to train (`vfi models`).
        hparams: overrides of the model's hyper-parameters (e.g. narrower widths for a test).
        init: checkpoint path or registered name whose weights start the run (fine-tuning);
            None trains from random initialisation.
        freeze: parameter-name prefixes whose parameters are not trained (e.g. ``["block0."]``).
        data: dataset kind for `vfi.train.data.build_dataset` (synthetic, vimeo90k, video, frames).
        root: dataset folder or video file (None for synthetic data).
        data_options: extra keyword arguments for `build_dataset` (both splits).
        arbitrary_t: train on random timesteps instead of t = 0.5 only.
        steps: optimiser updates in the run (not epochs: datasets differ in size).
        batch: samples per update, summed over all processes (the figure papers report).
        crop: square training crop (pixels).
        lr: peak learning rate (reached at the end of warm-up).
        lr_min: learning rate at the end of the cosine decay.
        warmup: updates of linear warm-up from lr / warmup to lr.
        weight_decay: AdamW's decoupled weight decay.
        betas: AdamW's moment coefficients.
        grad_clip: clip the global gradient norm to this (None or 0: no clipping).
        ema_decay: decay of the exponential moving average of the weights (None or 0: no EMA).
        amp: mixed precision: "auto" (bf16 on CUDA when supported, else fp16; off on CPU),
            "off", "bf16" or "fp16" (CUDA only).
        objective: family of the training objective (`vfi.train.objectives.build_objective`).
        objective_weights: loss weights passed to the objective.
        teacher: teacher name or checkpoint for distillation objectives, or None.
        val_every: validate every this many updates (0: only at the end).
        val_samples: size of the held-in validation split.
        middlebury: Middlebury-Other folder, evaluated at each validation when given.
        log_every: write a training row to metrics.jsonl every this many updates.
        save_every: write last.safetensors and resume.pt every this many updates (0: at
            validations and at the end).
        workers: DataLoader worker processes per training process.
        seed: seed of every random generator (model init, data order, augmentation).
        device: "cpu" or "cuda".
        out: run directory (metrics, checkpoints, resume state).
    """

    recipe: str = "custom"
    model: str = "ifrnet"
    hparams: dict[str, Any] = field(default_factory=dict)
    init: str | None = None
    freeze: list[str] = field(default_factory=list)
    data: str = "synthetic"
    root: str | None = None
    data_options: dict[str, Any] = field(default_factory=dict)
    arbitrary_t: bool = False
    steps: int = 1000
    batch: int = 8
    crop: int = 256
    lr: float = 1e-4
    lr_min: float = 1e-5
    warmup: int = 0
    weight_decay: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.999)
    grad_clip: float | None = None
    ema_decay: float | None = 0.999
    amp: str = "auto"
    objective: str | None = None
    objective_weights: dict[str, float] = field(default_factory=dict)
    teacher: str | None = None
    val_every: int = 1000
    val_samples: int = 64
    middlebury: str | None = None
    log_every: int = 10
    save_every: int = 0
    workers: int = 2
    seed: int = 0
    device: str = "cpu"
    out: str = "runs/train"

    def validate(self) -> TrainConfig:
        """Raise `InputError` for values no run can use; returns self."""
        positive = {"steps": self.steps, "batch": self.batch, "crop": self.crop, "log_every": self.log_every}
        for name, value in positive.items():
            if int(value) < 1:
                raise InputError(f"--{name.replace('_', '-')} must be at least 1; got {value}")
        if self.lr <= 0 or self.lr_min < 0 or self.lr_min > self.lr:
            raise InputError(f"need 0 <= lr_min <= lr and lr > 0; got lr {self.lr}, lr_min {self.lr_min}")
        if self.warmup < 0:
            raise InputError(f"warmup must be >= 0; got {self.warmup}")
        if self.amp not in AMP_MODES:
            raise InputError(f"amp must be one of {', '.join(AMP_MODES)}; got {self.amp!r}")
        if self.device not in ("cpu", "cuda"):
            raise InputError(f"device must be cpu or cuda; got {self.device!r}", "device")
        if self.ema_decay is not None and not 0.0 <= self.ema_decay < 1.0:
            raise InputError(f"ema_decay must be in [0, 1); got {self.ema_decay}")
        if self.workers < 0 or self.val_every < 0 or self.save_every < 0 or self.val_samples < 0:
            raise InputError("workers, val_every, save_every and val_samples must be >= 0")
        return self

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["betas"] = list(self.betas)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"unknown training setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values = dict(data)
        if "betas" in values:
            values["betas"] = tuple(float(b) for b in values["betas"])
        if isinstance(values.get("freeze"), str):
            values["freeze"] = [p for p in values["freeze"].split(",") if p]
        return cls(**values)
