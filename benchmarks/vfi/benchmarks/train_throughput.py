"""Training throughput per model family: samples per second of full training updates.

    python -m vfi.benchmarks.train_throughput --crop 128 --batch 8 --steps 10 --warmup 3
    python -m vfi.benchmarks.train_throughput --device cuda --precision bf16 --batch 32 --crop 256

One update is what `vfi.train.trainer.Trainer.train_step` does: forward of the training objective
(under autocast for bf16/fp16), backward (loss-scaled for fp16), AdamW step. Inputs are random
frames already on the device, so data loading is not measured. The objective is the family's own
(`vfi.train.objectives.build_objective`, without a teacher) when it builds; otherwise an L1 loss
on the predicted frame, and the table says which. Each model runs `--warmup` untimed updates,
then `--steps` timed ones (synchronised on CUDA); samples/s = batch / median update time.
Prints a Markdown table last, with machine, threads, batch, crop and precision.
"""

from __future__ import annotations

import argparse
import statistics
import time

#: one registered model per family (distance-indexed variants share their base family's cost)
DEFAULT_MODELS = ("rife-4.0", "ifrnet-s", "ifrnet", "ifrnet-l", "ugsp", "cain", "cspa")


class _L1:
    def __init__(self, model):
        self.model = model

    def __call__(self, batch):
        loss = (self.model(batch["img0"], batch["img1"], batch["t"]) - batch["gt"]).abs().mean()
        return loss, {}


def _objective(model):
    """(objective, description): the family's own objective when it builds without a teacher."""
    try:
        from vfi.train.objectives import build_objective
    except ImportError:
        return _L1(model), "L1 (vfi.train.objectives missing)"
    from vfi.core.errors import VfiError

    try:
        return build_objective(model.card.family, model, teacher=None), f"{model.card.family} (no teacher)"
    except VfiError as exc:  # e.g. a family whose objective needs a teacher
        return _L1(model), f"L1 ({str(exc)[:40]})"


def measure(
    name: str,
    batch: int,
    crop: int,
    steps: int,
    warmup: int,
    device: str = "cpu",
    precision: str = "fp32",
    hparams: dict | None = None,
) -> dict:
    """Median update time and samples/s of model `name` (hyper-parameter overrides `hparams`)."""
    import torch

    import vfi.models
    from vfi.train.precision import grad_scaler

    torch.manual_seed(0)
    model = vfi.models.create(name, **(hparams or {})).to(device).train()
    objective, objective_name = _objective(model)
    dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    if dtype is not None and device != "cuda":
        raise SystemExit(f"--precision {precision} is for --device cuda")
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    scaler = grad_scaler(dtype, device)
    if dtype is not None:
        from vfi.models.precision_islands import autocast_islands

        autocast_islands(model)  # as the trainer does: coordinates stay fp32 under autocast
    frames = torch.rand(3, batch, 3, crop, crop, device=device)
    fixed = getattr(model, "timestep_mode", "scalar") == "fixed"
    t = torch.full((batch,), 0.5, device=device) if fixed else torch.rand(batch, device=device)
    data = {"img0": frames[0], "img1": frames[1], "gt": frames[2], "t": t}

    def update():
        with torch.autocast(torch.device(device).type, dtype=dtype or torch.float32, enabled=dtype is not None):
            loss, _ = objective(data)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    for _ in range(warmup):
        update()
    times = []
    for _ in range(steps):
        sync()
        start = time.perf_counter()
        update()
        sync()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return {
        "model": name,
        "family": model.card.family,
        "params": sum(p.numel() for p in model.parameters()),
        "device": device,
        "precision": precision,
        "batch": batch,
        "crop": crop,
        "objective": objective_name,
        "update_ms": median * 1e3,
        "samples_per_s": batch / median,
        "timed_steps": steps,
    }


def markdown(rows: list[dict], machine: dict, threads: int) -> str:
    """The results table, headed by how they were measured."""
    lines = [
        f"Training throughput: {machine.get('gpu') or machine['cpu']}, {threads} CPU threads, "
        f"torch {machine.get('torch', '')}; median of timed updates after warm-up; random inputs on the device "
        "(no data loading); AdamW.",
        "",
        "| model | params | device | precision | batch | crop | objective | update (ms) | samples/s |",
        "|---|---:|---|---|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['params'] / 1e6:.2f}M | {r['device']} | {r['precision']} | {r['batch']} | "
            f"{r['crop']}x{r['crop']} | {r['objective']} | {r['update_ms']:.1f} | {r['samples_per_s']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    import torch

    from vfi.benchmarks.machine import machine_info

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated registered names")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--crop", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10, help="timed updates per model")
    parser.add_argument("--warmup", type=int, default=3, help="untimed updates first")
    parser.add_argument("--device", default="auto", help="cpu, cuda, or auto (cpu, and cuda when present)")
    parser.add_argument("--precision", default="fp32", help="fp32, bf16 or fp16 (the last two on cuda)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads on CPU")
    args = parser.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    devices = (
        ["cpu", "cuda"]
        if args.device == "auto" and torch.cuda.is_available()
        else (["cpu"] if args.device == "auto" else [args.device])
    )
    rows = []
    for device in devices:
        precision = args.precision if device == "cuda" else "fp32"
        for name in [m for m in args.models.split(",") if m]:
            row = measure(name, args.batch, args.crop, args.steps, args.warmup, device, precision)
            print(
                f"{name} {device} {precision}: {row['samples_per_s']:.2f} samples/s ({row['update_ms']:.1f} ms/update)",
                flush=True,
            )
            rows.append(row)
    machine = {**machine_info(devices[-1], threads), "torch": torch.__version__}
    table = markdown(rows, machine, threads)
    print()
    print(table)
    return table


if __name__ == "__main__":
    main()
