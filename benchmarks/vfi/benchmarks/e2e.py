"""End-to-end model speed per backend on a GPU: fps, latency p50/p99, peak GPU memory.

    python -m vfi.benchmarks.e2e --models rife-4.0 rife-4.0-fast
    python -m vfi.benchmarks.e2e --dry-run        # CPU, tiny sizes: exercises the logic only

Per model, backend, frame size (1280x720 and 1920x1088, padded to the model's multiple) and stream
count (1 and 2), batch 1: 100 warm-up and 100 timed model calls on device-resident inputs (no
decode, no encode, no host copies for the torch paths). Latency per call is measured with CUDA
events on the call's stream; fps = calls x streams / wall time of the timed section. Backends:

  * ``torch``: eager fp32;
  * ``torch-fp16-graphs``: eager fp16, channels-last, replayed as a CUDA graph;
  * ``compiled``: an AOTInductor package built for the size (`vfi.export.compiled_builder`);
  * ``tensorrt``: an engine built from a tensorrt-flavour export, when TensorRT is installed
    (its runner copies host frames in and out: that latency is included, as in production).

Two streams run two independent workers (threads, each with its own CUDA stream or TensorRT
slot) on the same model. Without a CUDA device the script prints one line and exits 1, unless
--dry-run, which runs the same code path on CPU with tiny sizes and perf_counter timing. The table
is printed last; every row names device, precision, size and run counts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from vfi.core.messages import short_error

SIZES = ((720, 1280), (1088, 1920))
BACKENDS = ("torch", "torch-fp16-graphs", "compiled", "tensorrt")


@dataclass
class Row:
    model: str
    backend: str
    size: str
    streams: int
    fps: float
    p50_ms: float
    p99_ms: float
    peak_mib: float
    note: str = ""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class _Timer:
    """Per-call latency: CUDA events on the current stream on GPU, perf_counter on CPU."""

    def __init__(self, cuda: bool):
        self.cuda = cuda

    def time(self, fn) -> float:
        import torch

        if not self.cuda:
            start = time.perf_counter()
            fn()
            return (time.perf_counter() - start) * 1e3
        begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        begin.record()
        fn()
        end.record()
        end.synchronize()
        return begin.elapsed_time(end)


def _torch_call(model, device, dtype, height, width, graphs: bool, channels_last: bool):
    """A zero-argument callable running one forward pass on device-resident inputs."""
    import torch

    img0 = torch.rand(1, 3, height, width, device=device, dtype=dtype)
    img1 = torch.rand(1, 3, height, width, device=device, dtype=dtype)
    t = torch.full((1,), 0.5, device=device)
    if channels_last:
        img0, img1 = (x.contiguous(memory_format=torch.channels_last) for x in (img0, img1))
    if not graphs:
        return lambda: model(img0, img1, t)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side), torch.inference_mode():
        for _ in range(3):
            model(img0, img1, t)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph), torch.inference_mode():
        model(img0, img1, t)
    return graph.replay


def _make_calls(args, name: str, backend: str, height: int, width: int, streams: int, workdir: Path):
    """`streams` callables for one configuration, or raise RuntimeError(reason) to skip it."""
    import copy

    import numpy as np
    import torch

    model = _load(args, name)
    device = "cuda" if not args.dry_run else "cpu"
    if backend == "torch":
        module = model.to(device).eval()
        return [_torch_call(module, device, torch.float32, height, width, False, False) for _ in range(streams)]
    if backend == "torch-fp16-graphs":
        if args.dry_run:
            raise RuntimeError("fp16 + CUDA graphs need CUDA")
        module = copy.deepcopy(model).to(device, torch.float16).to(memory_format=torch.channels_last).eval()
        return [_torch_call(module, device, torch.float16, height, width, True, True) for _ in range(streams)]
    if backend == "compiled":
        from vfi.export.compiled_builder import CompiledOptions, build_compiled

        package, _ = build_compiled(
            copy.deepcopy(model),
            workdir / f"{name}-{height}x{width}.pt2",
            CompiledOptions(shape=(height, width), device=device, validate=False),
        )
        loaded = torch._inductor.aoti_load_package(str(package))
        img = torch.rand(1, 3, height, width, device=device)
        t = torch.full((1, 1, 1, 1), 0.5, device=device)
        return [(lambda: loaded(img, img, t)) for _ in range(streams)]
    if backend == "tensorrt":
        from vfi.core.tensorrt import import_builder
        from vfi.export.onnx_artifact import ExportOptions, export_onnx
        from vfi.export.tensorrt_builder import BuildOptions, build_engine
        from vfi.runtime.backends import create_runner

        import_builder()  # BackendUnavailable -> skipped with its reason
        graph = export_onnx(
            copy.deepcopy(model),
            workdir / f"{name}-{height}x{width}.onnx",
            ExportOptions(flavour="tensorrt", shape=(height, width), validate=False),
        ).path
        engine, _ = build_engine(graph, workdir / f"{name}-{height}x{width}.engine", BuildOptions())
        frames = np.random.default_rng(0).random((1, 3, height, width), dtype=np.float32)
        t = np.full([1], 0.5, np.float32)
        calls = []
        for _ in range(streams):
            runner = create_runner("tensorrt", str(engine), device="cuda").load()
            calls.append(lambda r=runner: r.infer(frames, frames, t))
        return calls
    raise RuntimeError(f"unknown backend {backend}")


_MODELS: dict = {}


def _load(args, name: str):
    import vfi.models

    if name not in _MODELS:
        if args.dry_run:
            # Random narrow weights: the dry run checks the logic, not the numbers.
            _MODELS[name] = (
                vfi.models.create(name, block_widths=(16, 16, 16, 16)) if name.startswith("rife") else vfi.models.create(name)
            )
        else:
            _MODELS[name] = vfi.models.load(name)
    return _MODELS[name]


def measure(args, name: str, backend: str, height: int, width: int, streams: int, workdir: Path) -> Row:
    import torch

    size = f"{width}x{height}"
    try:
        calls = _make_calls(args, name, backend, height, width, streams, workdir)
    except Exception as exc:  # a backend that cannot run here is a row with the reason, not a crash
        return Row(
            name,
            backend,
            size,
            streams,
            float("nan"),
            float("nan"),
            float("nan"),
            float("nan"),
            f"skipped: {short_error(exc, 80)}",
        )
    cuda = not args.dry_run
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    latencies: list[list[float]] = [[] for _ in calls]

    def worker(index: int, call) -> None:
        stream = torch.cuda.Stream() if cuda else None
        timer = _Timer(cuda)
        with torch.inference_mode(), torch.cuda.stream(stream) if cuda else _nullcontext():
            for _ in range(args.warmup):
                call()
            if cuda:
                torch.cuda.current_stream().synchronize()
            barrier.wait()
            for _ in range(args.runs):
                latencies[index].append(timer.time(call))

    barrier = threading.Barrier(len(calls) + 1)
    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    flat = [v for values in latencies for v in values]
    peak = torch.cuda.max_memory_allocated() / 2**20 if cuda else float("nan")
    return Row(name, backend, size, streams, args.runs * len(calls) / wall, statistics.median(flat), _percentile(flat, 99), peak)


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def format_table(rows: list[Row], header: str) -> str:
    lines = [
        header,
        f"{'model':<16} {'backend':<18} {'size':>10} {'str':>3} {'fps':>8} {'p50 ms':>8} {'p99 ms':>8} {'peak MiB':>9}  note",
    ]
    for r in rows:
        lines.append(
            f"{r.model:<16} {r.backend:<18} {r.size:>10} {r.streams:>3} {r.fps:>8.2f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.peak_mib:>9.0f}  {r.note}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["rife-4.0-fast", "rife-4.0"])
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--streams", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--dry-run", action="store_true", help="CPU, 64x64, 2 warm-up + 3 timed runs: checks the logic only")
    args = parser.parse_args(argv)
    import torch

    if args.dry_run:
        args.warmup, args.runs = 2, 3
        sizes = [(64, 64)]
        header = "DRY RUN on CPU (perf_counter, random narrow weights): numbers are not benchmarks"
    else:
        if not torch.cuda.is_available():
            print("vfi.benchmarks.e2e needs a CUDA device (none visible to torch); use --dry-run to check the logic on CPU")
            return 1
        sizes = SIZES
        header = (
            f"{torch.cuda.get_device_name()} | torch {torch.__version__} | batch 1 | {args.warmup} warm-up + "
            f"{args.runs} timed calls per stream | CUDA-event latency | frames padded to the model's multiple"
        )
    rows = []
    with tempfile.TemporaryDirectory(prefix="vfi-e2e-") as tmp:
        for name in args.models:
            multiple = _load(args, name).card.pad_multiple
            for height, width in sizes:
                height, width = -(-height // multiple) * multiple, -(-width // multiple) * multiple
                for backend in args.backends:
                    for streams in args.streams:
                        row = measure(args, name, backend, height, width, streams, Path(tmp))
                        rows.append(row)
                        print(f"done: {row.model} {row.backend} {row.size} x{row.streams}", file=sys.stderr)
    print(format_table(rows, header))
    return 0


if __name__ == "__main__":
    sys.exit(main())
