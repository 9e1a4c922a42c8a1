"""`vfi train`: train or fine-tune a model from a recipe (`vfi.train.recipes`), one process or many
(``torchrun --nproc_per_node N -m vfi train ...``)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

#: library parameters whose flag is not their own name (settings only reachable through --set)
PARAMETER_FLAGS = {
    "grad_clip": "--set grad_clip",
    "warmup": "--set warmup",
    "lr_min": "--set lr_min",
    "weight_decay": "--set weight_decay",
    "ema_decay": "--set ema_decay",
    "betas": "--set betas",
    "val_samples": "--set val_samples",
    "log_every": "--set log_every",
    "save_every": "--set save_every",
}

DATA_HELP = "synthetic (rendered clips, no files), vimeo90k (triplets/septuplets folder), video (a video file or folder of videos), frames (folders of numbered frames)."


def train_command(
    model_or_recipe: Optional[str] = typer.Argument(
        None,
        help="Recipe (ifrnet, rife, rife-finetune, ...; or a .toml path) or registered model name (uses its family's recipe). Optional with --resume.",
    ),
    data: Optional[str] = typer.Option(None, "--data", help=DATA_HELP),
    root: Optional[Path] = typer.Option(None, "--root", help="Dataset folder or video file (not for synthetic)."),
    steps: Optional[int] = typer.Option(None, "--steps", help="Optimiser updates in the run."),
    batch: Optional[int] = typer.Option(None, "--batch", help="Samples per update, summed over all processes."),
    crop: Optional[int] = typer.Option(None, "--crop", help="Square training crop (pixels)."),
    lr: Optional[float] = typer.Option(
        None, "--lr", help="Peak learning rate (after warm-up); lr_min scales with it unless set."
    ),
    out: Optional[Path] = typer.Option(None, "--out", help="Run directory (default: runs/<recipe>)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out from its resume.pt."),
    teacher: Optional[str] = typer.Option(
        None, "--teacher", help="Teacher for distillation: name (rife-4.0), checkpoint path, or none."
    ),
    init: Optional[str] = typer.Option(
        None, "--init", help="Start from these weights: checkpoint path or registered name (e.g. rife-4.0)."
    ),
    freeze: Optional[str] = typer.Option(
        None,
        "--freeze",
        help="Comma-separated parameter-name prefixes not to train (e.g. blocks.0.,blocks.1. for RIFE; encoder. for IFRNet).",
    ),
    val_every: Optional[int] = typer.Option(None, "--val-every", help="Validate (and save) every N updates."),
    middlebury: Optional[Path] = typer.Option(
        None, "--middlebury", help="Middlebury-Other folder (input/, gt/) to evaluate at each validation."
    ),
    workers: Optional[int] = typer.Option(None, "--workers", help="DataLoader workers per process (0: exact resume)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of every random generator."),
    device: Optional[str] = typer.Option(None, "--device", help="cpu or cuda (one GPU per torchrun process)."),
    amp: Optional[bool] = typer.Option(
        None,
        "--amp/--no-amp",
        help="Mixed precision (CUDA only; bf16 where supported, else fp16 with loss scaling). Default: on for CUDA.",
    ),
    set_: Optional[list[str]] = typer.Option(
        None,
        "--set",
        help="Any recipe setting KEY=VALUE (TOML value), e.g. --set warmup=500 --set objective_weights.distillation=0.02 --set hparams.widths=[8,12,16,24].",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train MODEL_OR_RECIPE: AdamW with warm-up and cosine decay, EMA weights, periodic validation.

    The run directory receives metrics.jsonl, config.json, last.safetensors and best.safetensors
    (EMA weights, readable by vfi eval / vfi export / vfi.models.load) and resume.pt.
    """
    from vfi.cli.console import console
    from vfi.cli.progress import progress_bar
    from vfi.core.errors import InputError
    from vfi.train import recipes
    from vfi.train.checkpointing import RESUME_FILE
    from vfi.train.session import run_training

    _check_options(steps=steps, batch=batch, crop=crop, lr=lr, val_every=val_every, workers=workers, seed=seed)
    overrides = recipes.parse_set(set_ or [])
    overrides.update(
        {
            "data": data,
            "root": str(root) if root else None,
            "steps": steps,
            "batch": batch,
            "crop": crop,
            "teacher": teacher,
            "init": init,
            "val_every": val_every,
            "workers": workers,
            "seed": seed,
            "device": device,
            "middlebury": str(middlebury) if middlebury else None,
        }
    )
    if lr is not None:
        overrides["lr"] = lr
    if freeze is not None:
        overrides["freeze"] = [p.strip() for p in freeze.split(",") if p.strip()]
    if amp is not None:
        overrides["amp"] = "auto" if amp else "off"
    if resume:
        if out is None:
            raise InputError("--resume needs --out, the run directory to continue")
        cfg = recipes.resume_config(out, overrides)
    else:
        if model_or_recipe is None:
            raise InputError("name a recipe or model to train (see `vfi models`), or pass --resume --out DIR")
        if lr is not None and "lr_min" not in overrides:
            base = recipes.resolve_config(model_or_recipe)
            overrides["lr_min"] = base.lr_min * lr / base.lr
        cfg = recipes.resolve_config(model_or_recipe, overrides)
        cfg.out = str(out) if out is not None else str(Path("runs") / cfg.recipe)
        if (Path(cfg.out) / RESUME_FILE).exists():
            raise InputError(f"{cfg.out} already holds a run; pass --resume to continue it or choose another --out")
        if amp and cfg.device != "cuda":
            raise InputError("--amp trains in mixed precision on CUDA only; add --device cuda or drop --amp")
    check_config(cfg)
    import os

    main_process = int(os.environ.get("RANK", "0")) == 0
    extra_validation = None
    if cfg.middlebury:
        from vfi.benchmarks.evaluate import middlebury_validation

        extra_validation = middlebury_validation(cfg.middlebury)
    with progress_bar(f"train {cfg.model}", "steps", enabled=False if (quiet or not main_process) else None) as progress:
        summary = run_training(cfg, resume=resume, progress=progress, extra_validation=extra_validation)
    if main_process:
        best = summary.get("best") or {}
        figure = f", best held-in PSNR {best['psnr']:.2f} dB at step {best['step']}" if "psnr" in best else ""
        console().print(
            f"trained {cfg.model} to step {summary['step']} (loss {summary['loss']:.4f}{figure}); "
            f"wrote {Path(cfg.out) / 'last.safetensors'}, metrics.jsonl, resume.pt"
        )


def _check_options(steps, batch, crop, lr, val_every, workers, seed) -> None:
    """The command line's own numbers, refused in one line before any recipe is read."""
    from vfi.core import options

    options.count(steps, "steps")
    options.count(batch, "batch")
    options.side(crop, "crop")
    options.positive(lr, "lr")
    options.integer(val_every, "val_every", 0)
    options.integer(workers, "workers", 0)
    options.integer(seed, "seed", 0)


def check_config(cfg) -> None:
    """Every numeric training setting of the resolved recipe (flags, --set and the recipe file
    alike): finite, and positive where a run needs it (`vfi.core.options`)."""
    from vfi.core import options

    for name in ("steps", "batch", "log_every"):
        options.count(getattr(cfg, name), name)
    options.side(cfg.crop, "crop")
    for name in ("warmup", "val_every", "val_samples", "save_every", "workers", "seed"):
        options.integer(getattr(cfg, name), name, 0)
    options.positive(cfg.lr, "lr")
    options.non_negative(cfg.lr_min, "lr_min")
    options.non_negative(cfg.weight_decay, "weight_decay")
    options.non_negative(cfg.grad_clip, "grad_clip")  # 0 (or None): no clipping
    options.in_range(cfg.ema_decay, "ema_decay", 0.0, 1.0, high_open=True)
    for beta in cfg.betas:
        options.in_range(beta, "betas", 0.0, 1.0, high_open=True)
    for key, weight in (cfg.objective_weights or {}).items():
        if isinstance(weight, float):
            options.finite(weight, f"objective_weights.{key}")
