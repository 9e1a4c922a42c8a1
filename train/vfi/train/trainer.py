"""The training loop: AdamW, warm-up + cosine schedule, mixed precision, clipping, EMA, validation,
checkpoints and exact resume.

`Trainer` is given a built model, objective and datasets (see `vfi.train.session` for building
them from a `TrainConfig`), so tests can drive it with small stand-ins:

    trainer = Trainer(config, model, objective, train_set, val_set, run_dir="runs/x")
    summary = trainer.fit()

One update: move the batch to the device, ``loss, terms = objective(batch)`` under autocast (inside
DDP's forward when multi-process), backward (scaled for fp16), optional clipping of the global
gradient norm, AdamW step, scheduler step, EMA update. Exact resume: with ``workers=0`` a run of N
updates equals k updates + `resume` + N - k updates bit for bit (tests/train/test_trainer.py);
with workers the data order is still exact but per-worker augmentation streams restart.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Optional

from vfi.core.atomic import atomic_write_text
from vfi.core.errors import InputError, VfiError
from vfi.train import checkpointing
from vfi.train.config import TrainConfig
from vfi.train.distributed import DistContext, objective_module, wrap_ddp
from vfi.train.ema import EMA
from vfi.train.lr_schedule import build_scheduler
from vfi.train.metrics_log import MetricsLog
from vfi.train.precision import grad_scaler, precision_name, resolve_amp
from vfi.train.sampler import ResumableSampler

#: progress callback: (updates done, total updates, label)
ProgressFn = Callable[[int, Optional[int], Optional[str]], None]

METRICS_FILE = "metrics.jsonl"


class TrainingDiverged(VfiError):
    """The loss became NaN or infinite."""


class Trainer:
    """Runs `config.steps` updates of `model` on `objective` over `train_set`.

    Args:
        config: the run's settings (batch, lr, schedule, EMA, validation cadence, ...).
        model: the module being trained; carries ``.card`` (`vfi.models.create` / `load`).
        objective: ``objective(batch) -> (loss, terms)``, closing over `model`.
        train_set: dataset of dict samples (img0, img1, gt [3,H,W], t 0-d).
        val_set: held-in deterministic split, or None.
        ctx: the process's place in a multi-process run (default: single process on config.device).
        run_dir: where metrics and checkpoints go (default: config.out).
        progress: optional progress callback (rank 0 only).
        provenance: extra fields for the checkpoints' provenance (e.g. where the init came from).
        worker_init_fn: DataLoader worker seeding (used when config.workers > 0).
    """

    def __init__(
        self,
        config: TrainConfig,
        model,
        objective,
        train_set,
        val_set=None,
        *,
        ctx: DistContext | None = None,
        run_dir: str | Path | None = None,
        progress: ProgressFn | None = None,
        provenance: dict | None = None,
        worker_init_fn=None,
        extra_validation=None,
    ):
        import torch

        self.cfg = config.validate()
        self.ctx = ctx or DistContext(device=config.device)
        self.device = torch.device(self.ctx.device)
        self.run_dir = Path(run_dir or config.out)
        self.progress = progress if self.ctx.is_main else None
        self.provenance = dict(provenance or {})
        self.worker_init_fn = worker_init_fn
        #: (model, device) -> figures added to every "val" row (e.g. Middlebury-Other IE); the
        #: caller supplies it because it needs stages above training (`vfi.train.validation`)
        self.extra_validation = extra_validation
        if self.cfg.middlebury and extra_validation is None:
            raise InputError(
                "middlebury is set but no evaluator was given to run it (pass extra_validation, "
                "e.g. vfi.benchmarks.evaluate.middlebury_validation(root); vfi train does)",
                "middlebury",
            )
        if self.cfg.batch % self.ctx.world_size:
            raise InputError(f"batch {self.cfg.batch} must be a multiple of the {self.ctx.world_size} processes", "batch")
        self.local_batch = self.cfg.batch // self.ctx.world_size

        self.model = model.to(self.device).train()
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        if not self.params:
            raise InputError("every parameter is frozen; nothing to train (check freeze)", "freeze")
        self.optimizer = torch.optim.AdamW(
            self.params, lr=self.cfg.lr, betas=tuple(self.cfg.betas), weight_decay=self.cfg.weight_decay
        )
        self.scheduler = build_scheduler(self.optimizer, self.cfg.lr, self.cfg.steps, self.cfg.warmup, self.cfg.lr_min)
        self.amp_dtype = resolve_amp(self.cfg.amp, self.ctx.device)
        self.scaler = grad_scaler(self.amp_dtype, self.ctx.device)
        self.ema = EMA(self.model, self.cfg.ema_decay) if self.cfg.ema_decay else None
        # Every family's objective uses every parameter (checked for rife-4.0, ifrnet, ugsp, cain,
        # cspa) except RIFE's fast mode, which skips the context and refinement nets.
        skips_modules = getattr(self.model, "mode", None) == "fast"
        if self.amp_dtype is not None:
            from vfi.models.precision_islands import autocast_islands

            # Coordinates stay fp32 under autocast: the model's, and a teacher's inside the objective.
            for module in (self.model, objective):
                if isinstance(module, torch.nn.Module):
                    autocast_islands(module)
        self.train_module = wrap_ddp(objective_module(self.model, objective), self.ctx, find_unused_parameters=skips_modules)

        self.train_set, self.val_set = train_set, val_set
        self.sampler = ResumableSampler(train_set, num_replicas=self.ctx.world_size, rank=self.ctx.rank, seed=self.cfg.seed)
        self.batches_per_epoch = self.sampler.num_samples // self.local_batch
        if self.batches_per_epoch < 1:
            raise InputError(
                f"the training set has {len(train_set)} samples, fewer than one batch of {self.cfg.batch}; "
                "lower batch or use more data",
                "batch",
            )
        self.step = 0
        self.epoch = 0
        self.batch_in_epoch = 0
        self.best: dict | None = None
        self.last_val: dict | None = None
        self.log = MetricsLog(self.run_dir / METRICS_FILE) if self.ctx.is_main else None

    # ---------------------------------------------------------------- state

    def state_dict(self) -> dict:
        """Everything `load_state_dict` needs to continue bit for bit (RNG of every rank included)."""
        rng = self.ctx.gather({**checkpointing.capture_rng(), "dataset": checkpointing.capture_dataset_rng(self.train_set)})
        return {
            "config": self.cfg.to_dict(),
            "step": self.step,
            "epoch": self.epoch,
            "batch_in_epoch": self.batch_in_epoch,
            "world_size": self.ctx.world_size,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "best": self.best,
            "last_val": self.last_val,
            "rng": rng,
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue from a `state_dict` (read by `checkpointing.load_resume`)."""
        self.model.load_state_dict(state["model"], strict=True)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        if self.ema is not None and state.get("ema") is not None:
            self.ema.load_state_dict(state["ema"])
        self.step = int(state["step"])
        self.epoch = int(state["epoch"])
        self.batch_in_epoch = int(state["batch_in_epoch"])
        self.best, self.last_val = state.get("best"), state.get("last_val")
        rng = state.get("rng") or []
        if int(state.get("world_size", 1)) == self.ctx.world_size and self.ctx.rank < len(rng):
            checkpointing.restore_rng(rng[self.ctx.rank])
            checkpointing.restore_dataset_rng(self.train_set, rng[self.ctx.rank].get("dataset", {}))
        elif self.ctx.is_main:
            print(
                f"vfi train: resuming on {self.ctx.world_size} processes from a run on {state.get('world_size')}: "
                "data order continues, random streams restart"
            )
        if self.log is not None:
            self.log.truncate_after(self.step)

    def resume(self) -> None:
        """Load ``resume.pt`` from the run directory."""
        self.load_state_dict(checkpointing.load_resume(self.run_dir))

    # ---------------------------------------------------------------- loop

    def _loader(self):
        import torch
        from torch.utils.data import DataLoader

        self.sampler.set_position(self.epoch, self.batch_in_epoch * self.local_batch)
        # A dedicated generator: creating the loader's iterator draws a base seed, which must not
        # come from (and shift) the global torch RNG that the resume state restores.
        generator = torch.Generator().manual_seed(self.cfg.seed * 100_003 + self.epoch)
        return DataLoader(
            self.train_set,
            batch_size=self.local_batch,
            sampler=self.sampler,
            num_workers=self.cfg.workers,
            drop_last=True,
            pin_memory=self.device.type == "cuda",
            worker_init_fn=self.worker_init_fn if self.cfg.workers else None,
            generator=generator,
        )

    def _to_device(self, batch: dict) -> dict:
        import torch

        return {k: v.to(self.device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}

    def train_step(self, batch: dict) -> tuple[float, dict, float]:
        """One update; returns (loss, terms, learning rate used)."""
        import torch

        batch = self._to_device(batch)
        lr = self.scheduler.get_last_lr()[0]
        with torch.autocast(self.device.type, dtype=self.amp_dtype or torch.float32, enabled=self.amp_dtype is not None):
            loss, terms = self.train_module(batch)
        if not torch.isfinite(loss.detach()).item():
            raise TrainingDiverged(
                f"loss became {loss.item()} at step {self.step + 1}; lower lr, enable grad_clip or check the data",
                "lr",
                "grad_clip",
            )
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.cfg.grad_clip:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.params, self.cfg.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        if self.ema is not None:
            self.ema.update(self.model)
        return float(loss.detach().item()), dict(terms or {}), lr

    def fit(self, stop_after: int | None = None) -> dict:
        """Train until `config.steps` updates (or `stop_after` updates in total, for tests that
        interrupt a run); returns a summary (step, last loss, best validation)."""
        target = self.cfg.steps if stop_after is None else min(self.cfg.steps, stop_after)
        if self.log is not None and self.step == 0:
            atomic_write_text(self.run_dir / "config.json", _json(self.cfg.to_dict()))
        window = {"loss": 0.0, "n": 0, "terms": {}, "start": time.perf_counter()}
        last_loss = math.nan
        while self.step < target:
            for batch in self._loader():
                loss, terms, lr = self.train_step(batch)
                self.step += 1
                self.batch_in_epoch += 1
                if self.batch_in_epoch == self.batches_per_epoch:
                    self.epoch, self.batch_in_epoch = self.epoch + 1, 0
                last_loss = loss
                window["loss"] += loss
                window["n"] += 1
                for k, v in terms.items():
                    window["terms"][k] = window["terms"].get(k, 0.0) + float(v)
                if self.step % self.cfg.log_every == 0 or self.step == 1 or self.step == target:
                    self._log_train(window, lr)
                    window = {"loss": 0.0, "n": 0, "terms": {}, "start": time.perf_counter()}
                if self.progress is not None:
                    self.progress(self.step, self.cfg.steps, f"train loss {loss:.4f}")
                self._after_step(final=self.step == self.cfg.steps, interrupted=self.step == target)
                if self.step >= target:
                    break
        return {"step": self.step, "loss": last_loss, "best": self.best, "last_val": self.last_val, "run_dir": str(self.run_dir)}

    def _log_train(self, window: dict, lr: float) -> None:
        n = max(1, window["n"])
        loss = self.ctx.mean(window["loss"] / n)  # collective: every rank calls it
        if self.log is None:
            return
        elapsed = max(1e-9, time.perf_counter() - window["start"])
        row = {
            "kind": "train",
            "step": self.step,
            "epoch": self.epoch,
            "loss": loss,
            "lr": lr,
            "samples_per_s": n * self.cfg.batch / elapsed,
        }
        row.update({k: v / n for k, v in window["terms"].items()})
        self.log.write(row)

    def _after_step(self, final: bool, interrupted: bool) -> None:
        validate = final or (self.cfg.val_every and self.step % self.cfg.val_every == 0)
        save = validate or interrupted or (self.cfg.save_every and self.step % self.cfg.save_every == 0)
        if validate:
            self.validate()
        if save:
            self.save()

    # ---------------------------------------------------------------- validation and checkpoints

    def eval_model(self):
        """The weights that are validated and saved: the EMA shadow when EMA is on."""
        return self.ema.module if self.ema is not None else self.model

    def validate(self) -> dict | None:
        """Score the eval model on rank 0 (other ranks wait); logs a "val" row, tracks the best."""
        from vfi.train.validation import validate_split

        row = None
        if self.ctx.is_main and (self.val_set is not None or self.extra_validation is not None):
            row = {"kind": "val", "step": self.step}
            model = self.eval_model()
            if self.val_set is not None and len(self.val_set):
                row.update(validate_split(model, self.val_set, self.device))
            if self.extra_validation is not None:
                row.update(self.extra_validation(model, self.device))
            self.log.write(row)
            self.last_val = row
            if _better(row, self.best):
                self.best = row
                checkpointing.save_weights(model, self.run_dir / checkpointing.BEST_FILE, self._provenance(row))
        self.best = self.ctx.broadcast(self.best)
        self.last_val = self.ctx.broadcast(self.last_val)
        return row

    def _provenance(self, validation: dict | None) -> dict:
        import torch

        return {
            **self.provenance,
            "source": "vfi train",
            "recipe": self.cfg.recipe,
            "model": self.cfg.model,
            "step": self.step,
            "steps": self.cfg.steps,
            "weights": "ema" if self.ema is not None else "live",
            "precision": precision_name(self.amp_dtype),
            "processes": self.ctx.world_size,
            "validation": validation,
            "config": self.cfg.to_dict(),
            "torch": torch.__version__,
        }

    def save(self) -> None:
        """Write last.safetensors and resume.pt (rank 0; every rank contributes its RNG state)."""
        state = self.state_dict()  # collective (gathers RNG states)
        if self.ctx.is_main:
            checkpointing.save_weights(self.eval_model(), self.run_dir / checkpointing.LAST_FILE, self._provenance(self.last_val))
            checkpointing.save_resume(self.run_dir, state)
        self.ctx.barrier()


def _better(row: dict, best: dict | None) -> bool:
    """Middlebury IE (lower is better) decides when present, else held-in PSNR (higher is better)."""
    if best is None:
        return True
    if "middlebury_ie" in row and "middlebury_ie" in best:
        return row["middlebury_ie"] < best["middlebury_ie"]
    return row.get("psnr", -math.inf) > best.get("psnr", -math.inf)


def _json(data) -> str:
    import json

    return json.dumps(data, indent=2, sort_keys=True) + "\n"
