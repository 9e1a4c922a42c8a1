"""`vfi report`: Markdown table of measured vs published figures, and runtime-vs-accuracy Pareto plots."""

from __future__ import annotations

from pathlib import Path

import typer


def report_command(
    bench: list[Path] = typer.Option([], "--bench", help="A `vfi bench --json` file; repeat for several."),
    eval_: list[Path] = typer.Option([], "--eval", help="A `vfi eval --json` file; repeat for several."),
    out: Path = typer.Option(..., "--out", help="Folder for report.md and the Pareto PNGs (created)."),
    metric: str = typer.Option("psnr", "--metric", help="Accuracy axis of the plots: psnr, ssim or ie."),
) -> None:
    """Write report.md (Model | PSNR/SSIM | IE | Params | MACs (T) | Runtime, ours beside the papers') and Pareto plots."""
    from vfi.benchmarks.report import build_report
    from vfi.benchmarks.results_io import read_json
    from vfi.core.errors import InputError

    if not bench and not eval_:
        raise InputError("vfi report needs at least one --bench or --eval JSON file")
    benches = [read_json(p, "vfi-bench") for p in bench]
    evals = [read_json(p, "vfi-eval") for p in eval_]
    report = build_report(benches, evals, out, metric=metric)
    typer.echo(f"wrote {report.markdown}")
    for path in report.plots:
        typer.echo(f"wrote {path}")
