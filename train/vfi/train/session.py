"""Build a training run from a `TrainConfig` and run it: model (random, or fine-tuned from a
checkpoint, with frozen prefixes), teacher, objective, datasets, process group, `Trainer`.

    summary = run_training(resolve_config("ifrnet-s", {"steps": 100, "data": "synthetic"}))
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from vfi.core.errors import BackendUnavailable, CheckpointError, InputError
from vfi.train.config import TrainConfig

#: dataset kinds of `vfi.train.data.build_dataset`
DATA_KINDS = ("synthetic", "vimeo90k", "video", "frames")


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (all devices)."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def check_inputs(cfg: TrainConfig) -> None:
    """Refuse, before any heavy work, what cannot run: unknown data kind, missing root, no CUDA."""
    import torch

    if cfg.data not in DATA_KINDS:
        raise InputError(f"unknown data {cfg.data!r}; use one of {', '.join(DATA_KINDS)}", "data")
    if cfg.data != "synthetic":
        if not cfg.root:
            raise InputError(f"data {cfg.data} needs root (the dataset folder or video file)", "data", "root")
        if not Path(cfg.root).exists():
            raise InputError(f"root {cfg.root} does not exist", "root")
    if cfg.middlebury and not Path(cfg.middlebury).is_dir():
        raise InputError(
            f"middlebury {cfg.middlebury} is not a folder (expected input/ and gt/ of Middlebury-Other)", "middlebury"
        )
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise BackendUnavailable("device cuda requested but no CUDA device is visible; use device cpu", "device")


def freeze(model, prefixes: list[str]) -> int:
    """Stop training every parameter whose name starts with one of `prefixes`; returns the count.

    A prefix that names no parameter is an error (a typo would otherwise train everything).
    """
    names = [n for n, _ in model.named_parameters()]
    frozen = 0
    for prefix in prefixes:
        hits = [n for n in names if n.startswith(prefix)]
        if not hits:
            tops = sorted({n.split(".")[0] for n in names})
            raise InputError(f"freeze {prefix!r} matches no parameter; top-level modules: {', '.join(tops)}", "freeze")
    for name, p in model.named_parameters():
        if any(name.startswith(prefix) for prefix in prefixes):
            p.requires_grad_(False)
            frozen += 1
    return frozen


def build_model(cfg: TrainConfig):
    """The model to train, and provenance fields saying where its starting weights came from.

    Without ``init`` the registered variant is created at random. With ``init`` (a checkpoint path
    or a registered name with imported weights, e.g. "rife-4.0"), its weights start the run: a
    checkpoint of the same family is loaded as is (hyper-parameter overrides that keep shapes
    apply); one of another family with the same parameters (rife-4.0 -> rife-4.0-di) is loaded
    into a fresh model of the trained variant.
    """
    import vfi.models as vm

    variant = vm.get_variant(cfg.model)
    if not cfg.init:
        model = vm.create(cfg.model, **cfg.hparams)
        extra = {}
    else:
        init = vm.load(cfg.init)
        if init.card.family == variant.family:
            model = vm.load(cfg.init, **cfg.hparams) if cfg.hparams else init
            model.card = dataclasses.replace(model.card, variant=cfg.model)
        else:
            model = vm.create(cfg.model, **{**init.card.hparams, **cfg.hparams})
            result = model.load_state_dict(init.state_dict(), strict=False)
            if result.missing_keys or result.unexpected_keys:
                raise CheckpointError(
                    f"init {cfg.init} ({init.card.family}) does not fit {cfg.model}: "
                    f"{len(result.missing_keys)} missing, {len(result.unexpected_keys)} unexpected weights",
                    "init",
                )
        extra = {"initialised_from": {"spec": str(cfg.init), "family": init.card.family, **dict(init.card.provenance)}}
    if cfg.freeze:
        extra["frozen"] = list(cfg.freeze)
        extra["frozen_parameters"] = freeze(model, cfg.freeze)
    return model.train(), extra


def build_objective(cfg: TrainConfig, model, device):
    """The training objective (and its teacher, loaded when the config names one)."""
    from vfi.train.objectives import build_objective as objective_for

    teacher = None
    if cfg.teacher and cfg.teacher.lower() != "none":
        from vfi.train.teacher import load_teacher

        teacher = load_teacher(cfg.teacher)
        if hasattr(teacher, "to"):
            teacher = teacher.to(device) or teacher
    family = cfg.objective or model.card.family
    return objective_for(family, model, teacher=teacher, **cfg.objective_weights)


def build_datasets(cfg: TrainConfig, context: int = 1):
    """(train split, held-in validation split or None) from `vfi.train.data.build_dataset`.

    `context`: frames on each side the model sees (its card's); above 1 every sample carries
    the context frames of its window (unless the config's data options set ``context``)."""
    from vfi.train.data import build_dataset

    common = {"root": cfg.root, "crop": cfg.crop, "arbitrary_t": cfg.arbitrary_t, "seed": cfg.seed}
    if context > 1:
        common["context"] = int(context)
    common.update(cfg.data_options)
    train_set = build_dataset(cfg.data, split="train", **common)
    val_set = None
    if cfg.val_samples:
        val_options = {k: v for k, v in common.items() if k != "length"}
        val_set = build_dataset(cfg.data, split="val", length=cfg.val_samples, **val_options)
    return train_set, val_set


def run_training(cfg: TrainConfig, resume: bool = False, progress=None, extra_validation=None) -> dict:
    """Train as `cfg` says (joining torchrun's process group when launched by it); returns the
    trainer's summary. With `resume`, continues the run in ``cfg.out`` from its resume.pt.
    `extra_validation` (model, device) -> figures is run at every validation (see
    `vfi.train.validation`); it is required when ``cfg.middlebury`` is set."""
    from vfi.train.distributed import DistContext
    from vfi.train.trainer import Trainer

    cfg.validate()
    check_inputs(cfg)
    ctx = DistContext.from_env(cfg.device)
    try:
        seed_everything(cfg.seed)  # identical model initialisation on every rank
        model, provenance = build_model(cfg)
        model = model.to(ctx.device)
        objective = build_objective(cfg, model, ctx.device)
        train_set, val_set = build_datasets(cfg, int(model.card.context))
        worker_init = None
        if cfg.workers:
            from vfi.train.augment import seed_worker as worker_init
        seed_everything(cfg.seed + 1_000_003 * ctx.rank)  # different augmentation per rank
        trainer = Trainer(
            cfg,
            model,
            objective,
            train_set,
            val_set,
            ctx=ctx,
            progress=progress,
            provenance=provenance,
            worker_init_fn=worker_init,
            extra_validation=extra_validation,
        )
        if resume:
            trainer.resume()
        return trainer.fit()
    finally:
        ctx.close()
