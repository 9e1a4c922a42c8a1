"""GPU benchmark of every custom op in `vfi.kernels.OPS` against its straightforward PyTorch composition.

    python -m vfi.benchmarks.kernels [--ops backward_warp] [--runs 200] [--json out.json]
    python -m vfi.benchmarks.kernels --dry-run      # CPU, tiny sizes: checks the cases and the table

Method (CUDA): for each case of each op's `bench.cases()`, both callables run `--warmup` times, then
`--runs` timed calls each measured with a pair of CUDA events; the median is reported. Achieved
bandwidth = the case's minimum bytes moved / median time, shown against the device's measured
copy bandwidth (device-to-device copy of a 1 GiB tensor: read + write bytes / median time).
Exits with one line when no CUDA device is present (except with --dry-run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass


@dataclass
class Row:
    op: str
    case: str
    dtype: str
    op_ms: float
    baseline_ms: float
    speedup: float
    op_gbps: float
    baseline_gbps: float
    pct_of_copy: float
    max_abs_diff: float


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ops", nargs="*", help="ops to run (default: all in vfi.kernels.OPS)")
    p.add_argument("--runs", type=int, default=200, help="timed runs per callable (>= 100 on CUDA)")
    p.add_argument("--warmup", type=int, default=25)
    p.add_argument("--json", help="also write the rows as JSON to this path")
    p.add_argument("--dry-run", action="store_true", help="CPU, tiny sizes, few runs: checks cases and the table")
    args = p.parse_args(argv)
    if not args.dry_run and args.runs < 100:
        p.error("--runs must be >= 100 for reported figures (use --dry-run for a quick check)")
    return args


def cuda_median_ms(fn, args, runs: int, warmup: int) -> float:
    import torch

    for _ in range(warmup):
        fn(*args)
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn(*args)
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def cpu_median_ms(fn, args, runs: int, warmup: int) -> float:
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn(*args)
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def copy_bandwidth_gbps(runs: int = 50, nbytes: int = 1 << 30) -> float:
    """Measured device-to-device copy bandwidth (read + write) in GB/s."""
    import torch

    src = torch.empty(nbytes, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    ms = cuda_median_ms(lambda: dst.copy_(src), (), runs, 5)
    return 2 * nbytes / (ms * 1e-3) / 1e9


def collect_cases(ops, dry_run: bool):
    from vfi.kernels import OPS

    names = ops or list(OPS)
    unknown = [n for n in names if n not in OPS]
    if unknown:
        raise SystemExit(f"unknown ops {unknown}; known: {list(OPS)}")
    out = []
    for name in names:
        cases = OPS[name].facet("bench")
        out.extend(cases(height=12, width=20) if dry_run else cases())
    return out


def run_case(case, device: str, runs: int, warmup: int, copy_gbps: float | None) -> Row:
    import torch

    dtype = getattr(torch, case.dtype)
    args = case.make_inputs(device, dtype)
    timer = cuda_median_ms if device == "cuda" else cpu_median_ms
    with torch.no_grad():
        diff = (case.run(*args).float() - case.baseline(*args).float()).abs().max().item()
        op_ms = timer(case.run, args, runs, warmup)
        base_ms = timer(case.baseline, args, runs, warmup)
    gbps = lambda ms: case.bytes_moved / (ms * 1e-3) / 1e9  # noqa: E731
    return Row(
        case.op,
        case.label,
        case.dtype,
        op_ms,
        base_ms,
        base_ms / op_ms,
        gbps(op_ms),
        gbps(base_ms),
        100 * gbps(op_ms) / copy_gbps if copy_gbps else float("nan"),
        diff,
    )


def format_table(rows: list[Row], header: str = "") -> str:
    cols = ("op", "case", "dtype", "op ms", "torch ms", "speedup", "op GB/s", "torch GB/s", "% copy", "max|diff|")
    body = [
        (
            r.op,
            r.case,
            r.dtype,
            f"{r.op_ms:.4f}",
            f"{r.baseline_ms:.4f}",
            f"{r.speedup:.2f}x",
            f"{r.op_gbps:.1f}",
            f"{r.baseline_gbps:.1f}",
            f"{r.pct_of_copy:.0f}%",
            f"{r.max_abs_diff:.2e}",
        )
        for r in rows
    ]
    widths = [max(len(c), *(len(b[i]) for b in body)) if body else len(c) for i, c in enumerate(cols)]
    line = lambda cells: "  ".join(str(x).rjust(w) for x, w in zip(cells, widths))  # noqa: E731
    out = [header] if header else []
    out += [line(cols), line("-" * w for w in widths)] + [line(b) for b in body]
    return "\n".join(out)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    if not args.dry_run and not torch.cuda.is_available():
        print("vfi.benchmarks.kernels: no CUDA device on this machine; nothing measured (use --dry-run to check the script)")
        return 1
    device = "cpu" if args.dry_run else "cuda"
    runs, warmup = (3, 1) if args.dry_run else (args.runs, args.warmup)
    copy_gbps = None if args.dry_run else copy_bandwidth_gbps()
    rows = [run_case(case, device, runs, warmup, copy_gbps) for case in collect_cases(args.ops, args.dry_run)]
    if args.dry_run:
        header = f"DRY RUN on CPU, tiny sizes, {runs} runs: timings are not figures"
    else:
        header = (
            f"{torch.cuda.get_device_name()}, torch {torch.__version__}, median of {runs} runs after {warmup} "
            f"warm-up (CUDA events); device copy bandwidth {copy_gbps:.0f} GB/s"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"header": header, "copy_gbps": copy_gbps, "rows": [asdict(r) for r in rows]}, f, indent=2)
    print(format_table(rows, header))
    return 0


if __name__ == "__main__":
    sys.exit(main())
