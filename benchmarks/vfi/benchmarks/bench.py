"""Cost, latency and memory of models on runtime backends: the engine behind `vfi bench`.

One row per model x flow scale x resolution x backend x precision (flow scale: a hyper-parameter
of the flow-based families, RIFE's ``flow_scale``, given as ``flow_scales``; None keeps the model's
own and leaves it out of the row's key):

- cost from `vfi.benchmarks.cost.count_cost` (parameters; MACs = multiply-accumulates of
  convolutions and matrix products; FLOPs = every FLOP the counter sees, custom ops included), at
  the row's resolution padded to the model's multiple;
- latency of one `Runner.infer` call (batch 1, t = 0.5, padded frames, numpy float32 in and out,
  host-device copies included): warm-up calls excluded, then median, p90, p99 and mean over the
  timed calls, and fps = 1000 / median. Wall clock (`time.perf_counter`) on CPU with a fixed
  intra-op thread count; CUDA events on GPU;
- peak memory: host resident memory above its level before the timed calls (Linux high-water
  mark, see `HostPeakMemory`), and on CUDA the torch allocator's peak (torch backend only).

Models whose pretrained weights are not imported run with random initialisation (latency and cost
do not depend on weight values); each row says which (`weights`). A backend, device or precision
this machine cannot provide gives a row with ``status: "skipped"`` and the reason; any other
failure of one row gives ``status: "failed"`` with the error, and the other rows still run.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from vfi.core.errors import InputError, VfiError
from vfi.core.messages import short_error

#: progress callback: (timed or warm-up calls done, total calls, label of the current row)
ProgressFn = Callable[[int, int, str], None]

PROTOCOL = {
    "latency": (
        "one Runner.infer call, batch 1, t=0.5, frames padded to the model's multiple, numpy float32 in/out "
        "(host-device copies included); warm-up calls excluded; median/p90/p99/mean over the timed calls"
    ),
    "timer": "time.perf_counter on CPU (fixed intra-op thread count); CUDA events on GPU",
    "fps": "1000 / median latency (interpolated frames per second, batch 1)",
    "cost": "vfi.benchmarks.cost.count_cost: torch.utils.flop_counter on meta tensors at the padded resolution, batch 1",
    "macs": "multiply-accumulates of convolutions and matrix products (what VFI papers publish as FLOPs/MACs)",
    "flops": "every FLOP the counter sees, including custom ops (warp, deformable and sparse convolution)",
    "memory": (
        "host: peak resident set above its level before the warm-up calls (Linux VmHWM reset via /proc/self/clear_refs); "
        "gpu: torch.cuda.max_memory_allocated during the calls (torch backend only)"
    ),
    "inputs": "a smooth random frame and a copy shifted by 4 pixels (seeded), in [0, 1]",
    "weights": "pretrained when imported, else random-init (latency and cost do not depend on weight values)",
}


@dataclass
class BenchConfig:
    """What to measure. Resolutions are (height, width) in pixels."""

    models: list[str]
    backends: list[str]
    precisions: list[str] = field(default_factory=lambda: ["fp32"])
    resolutions: list[tuple[int, int]] = field(default_factory=lambda: [(720, 1280)])
    device: str = "cpu"
    runs: int = 20
    warmup: int = 3
    threads: int | None = None
    #: RIFE-style ``flow_scale`` values to measure; [None] keeps each model's own
    flow_scales: list[float | None] = field(default_factory=lambda: [None])


def parse_flow_scales(text: str | None) -> list[float | None]:
    """ "1,0.5" -> [1.0, 0.5]; None or "" -> [None] (the model's own flow scale)."""
    if not text:
        return [None]
    try:
        values = [float(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise InputError(f"flow scales must be numbers like 1,0.5; got {text!r}", "flow_scales") from None
    if not values or any(v <= 0 for v in values):
        raise InputError(f"flow scales must be positive numbers like 1,0.5; got {text!r}", "flow_scales")
    return values


def parse_resolutions(text: str) -> list[tuple[int, int]]:
    """ "720x1280,1080x1920" -> [(720, 1280), (1080, 1920)] (height x width)."""
    result = []
    for part in text.split(","):
        try:
            height, width = (int(v) for v in part.strip().lower().split("x"))
        except ValueError:
            raise InputError(
                f"resolution must look like 720x1280 (HxW, comma-separated for several), got {part!r}", "resolution"
            ) from None
        if min(height, width) < 32:
            raise InputError(f"resolution must be at least 32x32, got {part}", "resolution")
        result.append((height, width))
    return result


def parse_list(text: str, parameter: str) -> list[str]:
    """The names of a comma-separated list; `InputError` (naming `parameter`) when it is empty."""
    items = [p.strip() for p in text.split(",") if p.strip()]
    if not items:
        raise InputError(f"{parameter} needs at least one name, got {text!r}", parameter)
    return items


def resolve_models(spec: str | list[str]) -> list[str]:
    """Model names from "a,b" or "all" (every registered model); unknown names raise `InputError`."""
    import vfi.models as vm

    items = parse_list(spec, "models") if isinstance(spec, str) else list(spec)
    if items == ["all"]:
        return vm.names()
    for name in items:
        vm.get_variant(name)
    return items


def model_for_bench(name: str, flow_scale: float | None = None):
    """(module, weights label): pretrained when its weights are imported, else random-init; with
    `flow_scale` that hyper-parameter overridden (`InputError` for a family without one)."""
    import vfi.models as vm
    from vfi.core.cache import weights_dir

    overrides = {} if flow_scale is None else {"flow_scale": flow_scale}
    variant = vm.get_variant(name)
    if variant.pretrained is not None and (weights_dir() / f"{variant.pretrained}.safetensors").exists():
        return vm.load(name, **overrides), "pretrained"
    return vm.create(name, **overrides).eval(), "random-init"


#: pixels the bench inputs move per frame (to the right)
BENCH_SHIFT = 4


def bench_inputs(height: int, width: int, seed: int = 0, context: int = 1) -> tuple:
    """A smooth random scene [1, 3, H, W] panning `BENCH_SHIFT` pixels per frame: img0, img1,
    t = [0.5], and the context frames of a model with `context` frames on each side (nearest
    first: I_-1, I_2, ...)."""
    from vfi.core.graph_spec import context_offsets

    offsets = context_offsets(context)
    before = BENCH_SHIFT * max([0, *(-o for o in offsets)])  # room for the frames before I_0
    rng = np.random.default_rng(seed)
    span = width + before + BENCH_SHIFT * max([1, *offsets])
    coarse = rng.random((1, 3, -(-height // 8) + 1, -(-span // 8) + 1), dtype=np.float32)
    scene = np.repeat(np.repeat(coarse, 8, axis=2), 8, axis=3)

    def frame(at: int) -> np.ndarray:
        left = before + BENCH_SHIFT * at
        return np.ascontiguousarray(scene[:, :, :height, left : left + width])

    return frame(0), frame(1), np.full([1], 0.5, np.float32), tuple(frame(o) for o in offsets)


def latency_stats(ms: list[float]) -> dict:
    """Median, p90, p99, mean, min (milliseconds) and fps of per-call latencies."""
    values = np.asarray(ms, np.float64)
    median = float(np.median(values))
    return {
        "latency_ms": median,
        "latency_p90_ms": float(np.percentile(values, 90)),
        "latency_p99_ms": float(np.percentile(values, 99)),
        "latency_mean_ms": float(values.mean()),
        "latency_min_ms": float(values.min()),
        "fps": 1000.0 / median if median > 0 else None,
    }


def _short(exc: BaseException) -> str:
    # A user-facing error's message stands alone; anything else is shown with its type.
    return short_error(exc, 300, with_type=not isinstance(exc, VfiError))


class _Timer:
    """Milliseconds of one `runner.infer`: perf_counter on CPU, CUDA events on GPU."""

    def __init__(self, cuda: bool):
        self.cuda = cuda

    def __call__(self, runner, img0, img1, t, context=()) -> float:
        if not self.cuda:
            runner.infer(img0, img1, t, context)
            return runner.timings.last * 1000.0
        import torch

        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        runner.infer(img0, img1, t, context)  # returns host arrays, so the device work has finished
        end.record()
        end.synchronize()
        return float(start.elapsed_time(end))


def measure_row(module, row: dict, config: BenchConfig, backend: str, precision: str, on_call: Callable[[], None]) -> dict:
    """Fill `row` with latency and memory of `module` on `backend` at `precision` (see module doc)."""
    from vfi.benchmarks.machine import HostPeakMemory
    from vfi.core.padding import padded_size
    from vfi.runtime.backends import create_runner, runner_class

    try:
        runner = create_runner(backend, module, device=config.device, precision=precision, threads=config.threads)
        row["backend_version"] = runner_class(backend).version()
    except VfiError as exc:
        row.update(status="skipped", reason=_short(exc))
        return row
    cuda = config.device == "cuda"
    try:
        ph, pw = padded_size(row["height"], row["width"], int(module.card.pad_multiple))
        start = time.perf_counter()
        with HostPeakMemory() as load_memory:
            runner.load()
            runner.prepare(ph, pw)
        row["prepare_s"] = time.perf_counter() - start
        row["host_peak_prepare_mb"] = load_memory.delta_bytes / 2**20
        img0, img1, t, context = bench_inputs(ph, pw, context=int(module.card.context))
        timer = _Timer(cuda)
        if cuda:
            import torch

            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        with HostPeakMemory() as memory:
            for _ in range(config.warmup):
                timer(runner, img0, img1, t, context)
                on_call()
            times = []
            for _ in range(config.runs):
                times.append(timer(runner, img0, img1, t, context))
                on_call()
        row.update(latency_stats(times))
        row["host_peak_mb"] = memory.delta_bytes / 2**20
        row["host_peak_exact"] = memory.exact
        if cuda and backend == "torch":
            import torch

            row["gpu_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
        row["status"] = "ok"
    except VfiError as exc:
        row.update(status="skipped", reason=_short(exc))
    except Exception as exc:  # one broken row must not lose the others; it is reported, not hidden
        row.update(status="failed", reason=_short(exc))
    finally:
        runner.close()
    return row


def run_bench(config: BenchConfig, progress: ProgressFn | None = None) -> dict:
    """Measure every row of `config`; returns the JSON-ready result (``rows`` plus context)."""
    import os

    from vfi.benchmarks.cost import count_cost
    from vfi.benchmarks.machine import library_versions, machine_info

    if config.runs < 1 or config.warmup < 0:
        raise InputError(f"runs must be >= 1 and warmup >= 0, got {config.runs} and {config.warmup}", "runs", "warmup")
    threads = config.threads
    if config.device == "cpu" and threads is None:
        # A fixed count makes CPU figures comparable between runs; default: every usable core.
        from vfi.benchmarks.machine import usable_cores

        threads = usable_cores()
    config = BenchConfig(**{**config.__dict__, "threads": threads})
    n_rows = (
        len(config.models) * len(config.flow_scales) * len(config.resolutions) * len(config.backends) * len(config.precisions)
    )
    total = n_rows * (config.runs + config.warmup)
    done = 0
    rows = []
    for name, flow_scale in ((n, f) for n in config.models for f in config.flow_scales):
        try:
            module, weights = model_for_bench(name, flow_scale)
        except VfiError as exc:
            for h, w in config.resolutions:
                for backend in config.backends:
                    for precision in config.precisions:
                        rows.append(
                            _base_row(name, "-", backend, precision, config, h, w, flow_scale)
                            | {"status": "skipped", "reason": _short(exc)}
                        )
                        done += config.runs + config.warmup
            continue
        for height, width in config.resolutions:
            cost = _cost(count_cost, module, height, width)
            for backend in config.backends:
                for precision in config.precisions:
                    scale_label = "" if flow_scale is None else f" flow scale {flow_scale:g}"
                    label = f"{name}{scale_label} {backend} {precision} {height}x{width}"
                    row = _base_row(name, weights, backend, precision, config, height, width, flow_scale) | cost
                    row_start = done

                    def on_call(label: str = label) -> None:  # bound now: the loop moves on
                        nonlocal done
                        done += 1
                        if progress is not None:
                            progress(done, total, label)

                    measure_row(module, row, config, backend, precision, on_call)
                    done = row_start + config.runs + config.warmup
                    if progress is not None:
                        progress(done, total, label)
                    rows.append(row)
    return {
        "kind": "vfi-bench",
        "format": 1,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(config.device, threads),
        "libraries": library_versions(),
        "config": {
            "models": config.models,
            "backends": config.backends,
            "precisions": config.precisions,
            "resolutions": [f"{h}x{w}" for h, w in config.resolutions],
            "flow_scales": config.flow_scales,
            "device": config.device,
            "runs": config.runs,
            "warmup": config.warmup,
            "threads": threads,
            "pid": os.getpid(),
        },
        "protocol": PROTOCOL,
        "rows": rows,
    }


def _base_row(
    model: str, weights: str, backend: str, precision: str, config: BenchConfig, height: int, width: int, flow_scale=None
) -> dict:
    return {
        "model": model,
        "flow_scale": flow_scale,
        "weights": weights,
        "backend": backend,
        "device": config.device,
        "precision": precision,
        "resolution": f"{height}x{width}",
        "height": height,
        "width": width,
        "threads": config.threads,
        "runs": config.runs,
        "warmup": config.warmup,
    }


def _cost(count_cost, module, height: int, width: int) -> dict:
    try:
        cost = count_cost(module, height, width)
    except Exception as exc:  # reported in the row; latency can still be measured
        return {"params": sum(p.numel() for p in module.parameters()), "macs": None, "flops": None, "cost_error": _short(exc)}
    return {
        "params": cost.params,
        "macs": cost.macs,
        "flops": cost.flops,
        "cost_resolution": f"{cost.padded_height}x{cost.padded_width}",
        "cost_counter": cost.counter,
    }


# -- comparison with a baseline ------------------------------------------------------------------

ROW_KEY = ("model", "flow_scale", "backend", "device", "precision", "resolution")


def compare(current: dict, baseline: dict) -> list[dict]:
    """Speed-up of each measured row of `current` over the matching row of `baseline`.

    Rows match on model, flow scale, backend, device, precision and resolution (a row without a
    flow scale, from an older bench, matches one with the model's own); speedup = baseline median
    latency / current median latency (> 1: faster now). Rows without a measured match are left out.
    """
    index = {_key(r): r for r in baseline.get("rows", []) if r.get("status") == "ok"}
    result = []
    for row in current.get("rows", []):
        if row.get("status") != "ok":
            continue
        match = index.get(_key(row))
        if match is None:
            continue
        result.append(
            {
                **{k: row[k] for k in ROW_KEY},
                "baseline_ms": match["latency_ms"],
                "current_ms": row["latency_ms"],
                "speedup": match["latency_ms"] / row["latency_ms"],
            }
        )
    return result


def _key(row: dict) -> tuple:
    return tuple(row.get(k) for k in ROW_KEY)


def model_label(row: dict) -> str:
    """The row's model name with its flow scale when one was set ("rife-4.0 @ flow scale 0.5");
    bench tables, comparisons and report plots all name configurations this way."""
    flow_scale = row.get("flow_scale")
    return row["model"] if flow_scale is None else f"{row['model']} @ flow scale {flow_scale:g}"


# -- terminal tables -----------------------------------------------------------------------------


def _fmt(value, pattern: str, scale: float = 1.0) -> str:
    return "-" if value is None else pattern.format(value / scale)


def bench_table(result: dict):
    """A rich renderable of a `run_bench` result: the table, then one line per skipped or failed row."""
    from rich.table import Table

    machine = result["machine"]
    where = machine.get("gpu") or f"{machine['cpu']}, {machine['threads']} threads"
    table = Table(title=f"vfi bench on {machine['device']} ({where}); cost by torch flop counter at the padded size")
    columns = (
        "model",
        "weights",
        "backend",
        "prec",
        "HxW",
        "params",
        "MACs (G)",
        "FLOPs (G)",
        "median ms",
        "p90 ms",
        "p99 ms",
        "fps",
        "host MB",
        "gpu MB",
        "status",
    )
    for column in columns:
        table.add_column(
            column,
            no_wrap=column in ("model", "backend", "status"),
            justify="right" if column not in ("model", "weights", "backend", "prec", "HxW", "status") else "left",
        )
    notes = []
    for row in result["rows"]:
        if row.get("status") == "ok":
            status = "[green]ok[/]"
        else:
            notes.append(
                f"[{len(notes) + 1}] {model_label(row)} {row['backend']} {row['precision']} {row['resolution']}: {row.get('reason', '')}"
            )
            status = f"[yellow]{row.get('status')}[/] [{len(notes)}]"
        table.add_row(
            model_label(row),
            row.get("weights", "-"),
            row["backend"],
            row["precision"],
            row["resolution"],
            _fmt(row.get("params"), "{:.2f}M", 1e6),
            _fmt(row.get("macs"), "{:.1f}", 1e9),
            _fmt(row.get("flops"), "{:.1f}", 1e9),
            _fmt(row.get("latency_ms"), "{:.1f}"),
            _fmt(row.get("latency_p90_ms"), "{:.1f}"),
            _fmt(row.get("latency_p99_ms"), "{:.1f}"),
            _fmt(row.get("fps"), "{:.2f}"),
            _fmt(row.get("host_peak_mb"), "{:.0f}"),
            _fmt(row.get("gpu_peak_mb"), "{:.0f}"),
            status,
        )
    if not notes:
        return table
    from rich.console import Group
    from rich.text import Text

    return Group(table, *(Text(note) for note in notes))


def compare_table(ratios: list[dict], baseline_name: str):
    """A rich Table of `compare` output."""
    from rich.table import Table

    table = Table(title=f"speed-up over {baseline_name} (baseline median / current median; > 1 is faster)")
    for column in ("model", "backend", "device", "prec", "HxW", "baseline ms", "current ms", "speed-up"):
        table.add_column(column)
    for r in ratios:
        colour = "green" if r["speedup"] >= 1.0 else "red"
        table.add_row(
            model_label(r),
            r["backend"],
            r["device"],
            r["precision"],
            r["resolution"],
            f"{r['baseline_ms']:.1f}",
            f"{r['current_ms']:.1f}",
            f"[{colour}]{r['speedup']:.2f}x[/]",
        )
    return table
