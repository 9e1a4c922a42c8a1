"""`vfi eval`: PSNR, SSIM and IE of a model on an evaluation dataset, through the runtime pipeline's steps."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from vfi.models import DEFAULT_MODEL

DATASET_HELP = (
    "middlebury (input/<Seq>/frame10.png, frame11.png, gt/<Seq>/frame10i11.png); "
    "vimeo90k (tri_testlist.txt, sequences/<a>/<b>/im1-3.png); ucf101 (<id>/frame_00.png, frame_01_gt.png, frame_02.png); "
    "snu-film (test-<split>.txt, needs --split); triplets (folders of three frames); video (a video file: odd frames dropped and predicted); "
    "frames (a folder of frames, the same protocol); vimeo90k-septuplet (sep_testlist.txt, im4 from im3, im5; im1, im7 as context). "
    "Models with context frames (dbvfi) need video, frames or vimeo90k-septuplet."
)


def eval_command(
    dataset: str = typer.Option(..., "--dataset", help=DATASET_HELP),
    root: Path = typer.Option(..., "--root", help="Dataset folder (a video file for --dataset video)."),
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Registered model name or .safetensors checkpoint path."),
    backend: str = typer.Option("auto", "--backend", help="auto (as vfi interpolate), torch, openvino, onnxruntime, ..."),
    device: str = typer.Option("auto", "--device", help="auto (cuda when torch sees one), cpu or cuda."),
    precision: Optional[str] = typer.Option(
        None,
        "--precision",
        help="fp32, bf16 or fp16 (which a backend offers: `vfi doctor`), or auto as vfi interpolate picks it. Default: fp32 for a model (scores comparable across machines); a built artifact runs at its own precision.",
    ),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads for the backend (default: the library's choice)."),
    flow_scale: Optional[float] = typer.Option(
        None, "--flow-scale", help="RIFE: estimate flows at this fraction of the resolution (as vfi interpolate)."
    ),
    split: Optional[str] = typer.Option(
        None, "--split", help="Split of datasets that have several (snu-film: easy, medium, hard, extreme)."
    ),
    limit: Optional[int] = typer.Option(None, "--limit", help="Evaluate only the first N samples."),
    max_image_pixels: Optional[int] = typer.Option(
        None,
        "--max-image-pixels",
        help="Largest image (width x height) read from a frame folder (default 2**28; larger is refused unread).",
    ),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the figures, per-sample rows and protocol here."),
    no_lpips: bool = typer.Option(False, "--no-lpips", help="Skip LPIPS even when the lpips package and weights are present."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or per-sample lines."),
) -> None:
    """Evaluate a model: the prediction is made as `vfi interpolate` makes it, rounded to uint8, and scored."""
    from vfi.benchmarks.bench import model_label
    from vfi.benchmarks.evaluate import run_eval
    from vfi.benchmarks.results_io import write_json
    from vfi.cli.console import console
    from vfi.cli.progress import progress_bar
    from vfi.core import options as check

    check.count(threads, "threads")
    check.count(limit, "limit")
    check.flow_scale(flow_scale, "flow_scale")
    if max_image_pixels is not None:
        from vfi.core.frames import set_max_image_pixels

        set_max_image_pixels(check.count(max_image_pixels, "max_image_pixels"))
    with progress_bar(f"eval {dataset}", "samples", enabled=False if quiet else None) as progress:
        result = run_eval(
            dataset, root, model, backend, device, precision, threads, split, limit, not no_lpips, progress, flow_scale
        )
    con = console()
    if not quiet:
        for row in result["samples"]:
            con.print(f"  {row['name']:<28} PSNR {row['psnr']:6.2f} dB  SSIM {row['ssim']:.4f}  IE {row['ie']:6.3f}")
    avg = result["frame_averaging"]
    lpips = f", LPIPS {result['lpips']:.4f}" if "lpips" in result else ""
    con.print(
        f"{model_label(result)} ({result['weights']}, {result['backend']} {result['precision']} {result['device']}) on {dataset}"
        f"{' ' + split if split else ''}: {result['count']} samples, PSNR {result['psnr']:.2f} dB, "
        f"SSIM {result['ssim']:.4f}, IE {result['ie']:.3f}{lpips} (frame averaging: PSNR {avg['psnr']:.2f} dB, IE {avg['ie']:.3f}); "
        f"{result['wall_s']:.1f} s, {result['infer_s']:.1f} s in the model"
    )
    if "lpips_note" in result and not quiet:
        con.print(result["lpips_note"])
    if json_out is not None:
        write_json(json_out, result)
        con.print(f"wrote {json_out}")
