"""`vfi interpolate`: make a video (or frame folder) with more frames, or retime it."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from vfi.models import DEFAULT_MODEL
from vfi.runtime.defaults import DEFAULT_CRF, DEFAULT_CUT_THRESHOLD

HELP = f"""Interpolate INPUT (a video file or a folder of .png/.jpg frames) into OUTPUT.

Output format by name of OUTPUT:
.mp4 .mov .m4v: H.264, 8-bit, quality --crf (default {DEFAULT_CRF}), yuv420p;
an odd width or height keeps its exact size in 4:4:4 (yuv444p, High 4:4:4
profile, which some browsers and QuickTime do not play);
.mkv .avi: FFV1, lossless RGB, 16-bit when the input is deeper than 8 bits;
a folder or a name without suffix: PNG frames 00000.png, 00001.png, ...
(16-bit when the input is; RGBA when it has alpha).
--codec hevc: 10-bit H.265 (libx265) in .mp4 .mov .m4v .mkv.
Input deeper than the output holds, or alpha the output cannot hold, gives
one warning. Colour tags (primaries, transfer, matrix, range) and rotation
are copied to video outputs.

Frame times come from the video's timestamps, so variable-rate input stays
correctly timed; frame folders run at --input-fps (default 25).
Audio of a video input is copied when the output container accepts it.
An existing output file is overwritten; an existing output folder is
replaced only if it holds nothing but numbered .png frames.
Missing parent folders are created.

--factor K (default 2) puts K-1 frames between every pair of input frames,
at equal fractions of each pair's real interval (output fps = input fps x K);
--fps F instead resamples the clip's real duration (first frame to the end of
the last) to F frames per second. Give one of them, not both.
"""


def interpolate_command(
    input: Path = typer.Argument(..., help="Video file, or folder of .png/.jpg frames (natural name order)."),
    output: Path = typer.Option(..., "--output", "-o", help="Output video file or frame folder (see above)."),
    factor: Optional[int] = typer.Option(
        None, "--factor", "-f", help="Output frames per input frame interval, integer >= 2 (default 2)."
    ),
    fps: Optional[float] = typer.Option(None, "--fps", help="Retime to this output frame rate (frames/s) instead of --factor."),
    input_fps: Optional[float] = typer.Option(
        None,
        "--input-fps",
        help="Frame rate of the input (frames/s); frame folders default to 25. For a video it replaces the video's own timestamps with this constant rate.",
    ),
    codec: Optional[str] = typer.Option(
        None,
        "--codec",
        help="Video output codec: h264 (.mp4 .mov .m4v .mkv), hevc (10-bit H.265; .mp4 .mov .m4v .mkv) or ffv1 (lossless; .mkv .avi). Default: by OUTPUT's suffix.",
    ),
    model: str = typer.Option(
        DEFAULT_MODEL,
        "--model",
        "-m",
        help="Registered model name or .safetensors checkpoint path; or a built artifact: .onnx (onnxruntime, openvino), .engine/.plan (tensorrt), .pt2 (compiled), .xml (openvino), each with its sidecar.",
    ),
    backend: str = typer.Option(
        "auto",
        "--backend",
        help="auto, torch, openvino, onnxruntime, tensorrt, compiled or triton. auto: for a model, openvino on cpu when installed, else torch; torch on cuda; for an artifact, the backend that runs it. triton: send frames to a Triton server (vfi serve) at --url; --model is the served model's name.",
    ),
    device: str = typer.Option("auto", "--device", help="auto (cuda when torch sees one), cpu or cuda."),
    precision: str = typer.Option(
        "auto",
        "--precision",
        help="auto, fp32, bf16 or fp16 (which a backend offers: `vfi doctor`); reduced precisions keep coordinates fp32. auto: a built artifact runs at its own precision; a model at bf16 on the openvino backend on a CPU with native bf16 (measured within 0.05 dB of fp32), else fp32.",
    ),
    flow_scale: Optional[float] = typer.Option(
        None,
        "--flow-scale",
        help="RIFE: estimate flows at this fraction of the resolution (0.5 for 4K; Practical-RIFE's --scale).",
    ),
    streams: Optional[int] = typer.Option(None, "--streams", help="openvino backend: CPU streams (default one)."),
    requests: Optional[int] = typer.Option(
        None, "--requests", help="openvino backend: asynchronous infer requests a call spreads its frames over."
    ),
    scene_threshold: float = typer.Option(
        DEFAULT_CUT_THRESHOLD,
        "--scene-threshold",
        help="Scene-cut threshold in [0, 1] (luma histogram distance); 0 disables. Across a cut the nearer input frame is repeated.",
    ),
    crf: int = typer.Option(DEFAULT_CRF, "--crf", help="H.264/H.265 quality, 0-51, lower is better (not FFV1)."),
    max_image_pixels: Optional[int] = typer.Option(
        None,
        "--max-image-pixels",
        help="Largest image (width x height) read from a frame folder (default 2**28; larger is refused unread).",
    ),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads for the backend (default: the library's choice)."),
    batch: Optional[int] = typer.Option(
        None, "--batch", help="Most frames per model call (default: all in-between frames of a pair)."
    ),
    url: Optional[str] = typer.Option(
        None, "--url", help="triton backend: the server's HOST:PORT (default 127.0.0.1:8001, gRPC)."
    ),
    protocol: Optional[str] = typer.Option(None, "--protocol", help="triton backend: grpc (default) or http."),
    inflight: Optional[int] = typer.Option(None, "--inflight", help="triton backend: requests kept in flight (default 4)."),
    wire: Optional[str] = typer.Option(
        None,
        "--wire",
        help="triton backend: uint8 (default, where the server offers NAME-uint8; lossless for 8-bit video) or fp32.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
    channels_last: bool = typer.Option(False, "--channels-last", help="torch backend: NHWC memory order."),
    cuda_graphs: bool = typer.Option(False, "--cuda-graphs", help="torch / tensorrt backends: replay CUDA graphs (cuda only)."),
) -> None:
    from vfi.core import options as check
    from vfi.runtime.backends import create_runner
    from vfi.runtime.model_source import describe
    from vfi.runtime.pipeline import interpolate

    # Every numeric option is checked here, before a model loads (`vfi.core.options`).
    check.output_fps(fps)
    check.input_fps(input_fps)  # 0 is refused, never read as "not given"
    check.scene_threshold(scene_threshold)
    check.factor(factor)
    check.crf(crf)
    check.flow_scale(flow_scale)
    for name, value in (
        ("threads", threads),
        ("batch", batch),
        ("streams", streams),
        ("requests", requests),
        ("inflight", inflight),
    ):
        check.count(value, name)
    if max_image_pixels is not None:
        from vfi.core.frames import set_max_image_pixels

        set_max_image_pixels(check.count(max_image_pixels, "max_image_pixels"))
    _log_warnings_to_stderr()
    options = {}
    if channels_last:
        options["channels_last"] = True
    if cuda_graphs:
        options["cuda_graphs"] = True
    if streams is not None:
        options["streams"] = streams
    if requests is not None:
        options["requests"] = requests
    for key, value in (("url", url), ("protocol", protocol), ("inflight", inflight), ("wire", wire)):
        if value is not None:
            options[key] = value
    hparams = {"flow_scale": flow_scale} if flow_scale is not None else None
    runner = create_runner(backend, model, device=device, precision=precision, threads=threads, hparams=hparams, **options)
    from vfi.cli.progress import progress_bar

    label = f"{describe(model)} ({runner.name}, {runner.device})"
    bar = progress_bar(label, "frames", enabled=False if quiet else None, rate=True)
    with runner, bar as progress:
        summary = interpolate(
            input,
            output,
            runner,
            factor=factor,
            fps=fps,
            input_fps=input_fps,
            scene_threshold=scene_threshold,
            crf=crf,
            batch=batch,
            progress=progress,
            codec=codec,
        )
    if not quiet:
        rate = summary.output_frames / summary.wall_s if summary.wall_s else 0.0
        typer.echo(
            f"wrote {output}: {summary.output_frames} frames at {summary.output_fps:.3f} fps from {summary.input_frames} "
            f"({summary.interpolated} interpolated, {summary.copied} copied at {summary.duplicate_pairs} duplicate "
            f"and {summary.cut_pairs} cut pairs"
            + ("; variable-rate input, output timed by its timestamps" if summary.variable_rate else "")
            + f"); {summary.wall_s:.2f} s ({rate:.2f} frames/s), "
            f"{summary.prepare_s:.2f} s preparing the backend, {summary.infer_s:.2f} s in the model, "
            f"{summary.other_s:.2f} s outside; backend {runner.name} ({runner.backend_choice}) on {runner.device} "
            f"at {runner.precision}" + (f" ({runner.precision_choice})" if runner.precision_choice else "")
        )


interpolate_command.__doc__ = HELP


class _StderrHandler(logging.Handler):
    """Writes each record as one "vfi: warning: ..." line to the current sys.stderr (looked up at
    emit time, so redirection after setup, e.g. by tests, is honoured)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"vfi: warning: {record.getMessage()}", file=sys.stderr)


def _log_warnings_to_stderr() -> None:
    # Warnings from the runtime (e.g. audio dropped) appear as one line each.
    logger = logging.getLogger("vfi")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        logger.addHandler(_StderrHandler(level=logging.WARNING))
        logger.setLevel(logging.WARNING)
