"""`vfi bench`: parameters, MACs/FLOPs, latency and memory per model x backend x precision x resolution."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

#: most timed (or warm-up) calls per row
MAX_RUNS = 100_000


def bench_command(
    models: str = typer.Option("rife-4.0", "--models", help="Comma-separated model names, or 'all' (every registered model)."),
    backends: str = typer.Option("torch", "--backends", help="Comma-separated runtime backends (e.g. torch,onnxruntime)."),
    resolution: str = typer.Option("720x1280", "--resolution", help="Frame size HxW in pixels; comma-separated for several."),
    precision: str = typer.Option(
        "fp32", "--precision", help="fp32, bf16 or fp16 (what each backend offers: `vfi doctor`); comma-separated for several."
    ),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    flow_scales: Optional[str] = typer.Option(
        None,
        "--flow-scales",
        help="RIFE flow scales to measure, comma-separated (e.g. 1,0.5); default: each model's own.",
    ),
    runs: int = typer.Option(20, "--runs", help="Timed calls per row (median, p90, p99 over these)."),
    warmup: int = typer.Option(3, "--warmup", help="Untimed calls before the timed ones."),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU intra-op threads (default: every usable core, fixed)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the rows, machine and library versions here."),
    compare: Optional[Path] = typer.Option(None, "--compare", help="Baseline bench JSON: print speed-up per matching row."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Measure cost (params, MACs, FLOPs), latency (median/p90/p99, fps) and peak memory.

    Models without imported weights run with random initialisation (labelled in each row); a
    backend this machine lacks gives a skipped row with the reason.
    """
    from vfi.benchmarks.bench import (
        BenchConfig,
        bench_table,
        compare_table,
        parse_flow_scales,
        parse_list,
        parse_resolutions,
        resolve_models,
        run_bench,
    )
    from vfi.benchmarks.results_io import read_json, write_json
    from vfi.cli.console import console
    from vfi.cli.progress import progress_bar
    from vfi.core import options as check

    check.count(runs, "runs", maximum=MAX_RUNS)
    check.integer(warmup, "warmup", 0, MAX_RUNS)
    check.count(threads, "threads")
    resolutions = parse_resolutions(resolution)
    for height, width in resolutions:
        check.frame_size(height, width, "resolution")
    scales = parse_flow_scales(flow_scales)
    for scale in scales:
        check.flow_scale(scale, "flow_scales")
    config = BenchConfig(
        models=resolve_models(models),
        backends=parse_list(backends, "--backends"),
        precisions=parse_list(precision, "--precision"),
        resolutions=resolutions,
        device=device,
        runs=runs,
        warmup=warmup,
        threads=threads,
        flow_scales=scales,
    )
    baseline = read_json(compare, "vfi-bench") if compare is not None else None  # fail before measuring
    with progress_bar("bench", "calls", enabled=False if quiet else None) as progress:
        result = run_bench(config, progress=progress)
    con = console()
    con.print(bench_table(result))
    if baseline is not None:
        from vfi.benchmarks.bench import compare as compare_rows

        ratios = compare_rows(result, baseline)
        result["comparison"] = {"baseline": str(compare), "rows": ratios}
        if ratios:
            con.print(compare_table(ratios, str(compare)))
        else:
            con.print(f"no row matches a measured row of {compare} (model, backend, device, precision, resolution)")
    if json_out is not None:
        write_json(json_out, result)
        con.print(f"wrote {json_out}")
