"""`vfi demo`: drop every other frame of a sample clip, interpolate it back, report PSNR."""

from __future__ import annotations

from pathlib import Path

import typer


def demo_command(
    out: Path = typer.Option(Path("out/demo"), "--out", help="Folder for the videos and the side-by-side PNG."),
    model: str = typer.Option(None, "--model", help="Model name or checkpoint (default: the default model)."),
    backend: str = typer.Option(
        "auto", "--backend", help="Runtime backend: auto (as vfi interpolate), torch, openvino or onnxruntime."
    ),
    frames: int = typer.Option(17, "--frames", min=5, help="Frames rendered (odd ones are dropped, then restored)."),
    size: str = typer.Option("360x640", "--size", help="Frame size HxW in pixels."),
) -> None:
    """Render a sample clip, keep every other frame, interpolate 2x and compare with the dropped frames."""
    from vfi.benchmarks.demo import run_demo
    from vfi.cli.console import console
    from vfi.core.errors import InputError

    try:
        height, width = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise InputError(f"--size must look like 360x640 (HxW), got {size!r}") from None
    if min(height, width) < 32:
        raise InputError(f"--size must be at least 32x32, got {size}")
    result = run_demo(out, model=model, backend=backend, height=height, width=width, n_frames=frames)
    con = console()
    con.print(f"model {result.model} on {result.backend} (CPU), {width}x{height}, {len(result.psnr)} dropped frames restored")
    for index, (ours, average) in enumerate(zip(result.psnr, result.averaging_psnr)):
        con.print(f"  frame {2 * index + 1:2d}: PSNR {ours:6.2f} dB   (frame averaging {average:6.2f} dB)")
    con.print(f"mean PSNR {result.mean_psnr:.2f} dB vs frame averaging {result.mean_averaging_psnr:.2f} dB")
    s = result.summary
    con.print(f"time: {s['wall_s']:.1f} s wall, {s['infer_s']:.1f} s in the model, {s['other_s']:.2f} s outside it")
    for label, path in result.files.items():
        con.print(f"wrote {label}: {path}")
