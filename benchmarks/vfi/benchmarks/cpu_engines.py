"""CPU engines side by side: in-model time per frame and accuracy per backend x precision.

    python -m vfi.benchmarks.cpu_engines --threads 2 --runs 5 --middlebury ../shared/data/middlebury_other

For each model (default rife-4.0-fast and rife-4.0, pretrained) at 1280x720 (padded to the model's
multiple), one process, one thread setting: the median time of one `Runner.infer` call (batch 1,
t = 0.5, rendered frames; `--warmup` untimed calls first) on torch eager fp32 (the baseline every
ratio is against), torch bf16 (islands), ONNX Runtime fp32, OpenVINO fp32, OpenVINO bf16 and fp16
with fp32 coordinate islands, and OpenVINO bf16 without islands (OpenVINO's own lowering: the
reason islands exist). With `--middlebury ROOT` each row is also scored on Middlebury-Other by
`vfi.benchmarks.evaluate` (PSNR, IE), made exactly as `vfi eval` makes them. Reduced precisions
this CPU lacks are skipped with the reason. The machine (CPU model and its precision flags) is
printed and written with the rows. A Markdown table is printed last.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from pathlib import Path

#: (label, backend, precision, backend options)
ENGINES = (
    ("torch eager fp32", "torch", "fp32", {}),
    ("torch bf16 (islands)", "torch", "bf16", {}),
    ("ONNX Runtime fp32", "onnxruntime", "fp32", {}),
    ("OpenVINO fp32", "openvino", "fp32", {}),
    ("OpenVINO bf16 (islands)", "openvino", "bf16", {}),
    ("OpenVINO bf16 (no islands)", "openvino", "bf16", {"islands": False}),
    ("OpenVINO fp16 (islands)", "openvino", "fp16", {}),
)


def time_runner(runner, height: int, width: int, runs: int, warmup: int) -> float:
    """Median milliseconds of one `infer` call on a rendered pair padded to the model's multiple."""
    from vfi.core.graph_spec import GraphSpec
    from vfi.core.padding import pad_to_multiple

    runner.load()
    feeds = GraphSpec("scalar").rendered_inputs(1, height, width, seed=7)
    a, b = (pad_to_multiple(feeds[k], runner.pad_multiple) for k in ("img0", "img1"))
    t = feeds["timestep"].reshape(-1)
    runner.prepare(*a.shape[-2:])
    for _ in range(warmup):
        runner.infer(a, b, t)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        runner.infer(a, b, t)
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times)


def measure(make_runner, row: dict, height: int, width: int, runs: int, warmup: int, middlebury: Path | None) -> dict:
    """`row` with the median ms of the runner `make_runner()` gives (`time_runner`) and, with
    `middlebury`, its Middlebury-Other PSNR, IE and per-sequence PSNR; or with ``skipped`` (the
    reason in one line) when the runner cannot run here."""
    from vfi.benchmarks.datasets import open_dataset
    from vfi.benchmarks.evaluate import evaluate
    from vfi.core.errors import VfiError
    from vfi.core.messages import short_error

    try:
        with make_runner() as runner:
            row["ms"] = time_runner(runner, height, width, runs, warmup)
            if middlebury is not None:
                scores = evaluate(open_dataset("middlebury", middlebury), runner, use_lpips=False)
                row.update(psnr=scores["psnr"], ie=scores["ie"], per_sequence={s["name"]: s["psnr"] for s in scores["samples"]})
    except VfiError as exc:
        row["skipped"] = short_error(exc)
    return row


def compare(row: dict, baseline: dict) -> None:
    """Add to `row` its speed-up over `baseline` and, where both were scored, the mean and worst
    per-sequence PSNR difference."""
    row["speedup"] = baseline["ms"] / row["ms"]
    if "psnr" in row and "psnr" in baseline:
        row["psnr_delta"] = row["psnr"] - baseline["psnr"]
        row["worst_sequence_delta"] = min(row["per_sequence"][k] - baseline["per_sequence"][k] for k in row["per_sequence"])


def print_table(rows: list[dict], versus: str) -> None:
    """The Markdown table of `rows` (ratios headed "vs `versus`")."""
    print(f"| model | engine | ms / frame | vs {versus} | Middlebury PSNR (dB) | Δ PSNR mean / worst | IE |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        if "skipped" in row:
            print(f"| {row['model']} | {row['engine']} | skipped: {row['skipped']} | | | | |")
            continue
        psnr = f"{row['psnr']:.3f}" if "psnr" in row else "-"
        delta = f"{row['psnr_delta']:+.3f} / {row['worst_sequence_delta']:+.3f}" if "psnr_delta" in row else "-"
        ie = f"{row['ie']:.3f}" if "ie" in row else "-"
        print(
            f"| {row['model']} | {row['engine']} | {row['ms']:.0f} | {row.get('speedup', 1.0):.2f}x | {psnr} | {delta} | {ie} |"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["rife-4.0-fast", "rife-4.0"])
    parser.add_argument("--size", default="720x1280", help="HxW of the timed frames (padded to the model's multiple)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--middlebury", type=Path, default=None, help="Middlebury-Other root (input/, gt/) to score each row")
    parser.add_argument("--engines", nargs="+", default=None, help="labels of ENGINES to run (default: all)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    height, width = (int(v) for v in args.size.lower().split("x"))

    from vfi.benchmarks.machine import library_versions, machine_info
    from vfi.runtime.backends import create_runner

    machine = machine_info("cpu", args.threads)
    print(f"machine: {machine['cpu']}, flags {' '.join(machine['cpu_flags']) or '-'}, {args.threads} threads", flush=True)
    rows = []
    for model in args.models:
        baseline = None
        for label, backend, precision, options in ENGINES:
            if args.engines and label not in args.engines:
                continue
            row = {"model": model, "engine": label, "backend": backend, "precision": precision, "size": [height, width]}
            make = functools.partial(
                create_runner, backend, model, device="cpu", precision=precision, threads=args.threads, **options
            )
            rows.append(measure(make, row, height, width, args.runs, args.warmup, args.middlebury))
            if "skipped" in row:
                print(f"{model:14s} {label:28s} skipped: {row['skipped']}", flush=True)
                continue
            if label == ENGINES[0][0]:
                baseline = row
            if baseline is not None:
                compare(row, baseline)
            print(
                f"{model:14s} {label:28s} {row['ms']:8.1f} ms  x{row.get('speedup', float('nan')):.2f}"
                + (f"  PSNR {row['psnr']:.3f} IE {row['ie']:.3f}" if "psnr" in row else ""),
                flush=True,
            )
    result = {
        "kind": "vfi-cpu-engines",
        "machine": machine,
        "libraries": library_versions(),
        "runs": args.runs,
        "warmup": args.warmup,
        "rows": rows,
    }
    if args.json is not None:
        from vfi.benchmarks.results_io import write_json

        write_json(args.json, result)
    print()
    print(
        f"CPU: {machine['cpu']} ({' '.join(machine['cpu_flags'])}), {args.threads} threads; median of {args.runs} "
        f"calls after {args.warmup} warm-up; {height}x{width} padded to the model's multiple; batch 1"
    )
    print()
    print_table(rows, "torch fp32")


if __name__ == "__main__":
    main()
