"""Throughput of `vfi interpolate` end to end, and the share of time spent outside the model.

    python -m vfi.benchmarks.interpolate_speed --size 360x640 --frames 25 --runs 3 --models rife-4.0,rife-4.0-fast

Renders a sample clip (`vfi.core.synthetic_scene`), encodes it as H.264 (so decoding is real),
then runs the full pipeline (decode -> pad -> infer -> crop -> encode H.264) 2x per model and
backend. Reports medians over `--runs` runs of: output frames per second, interpolated frames per
second, time inside `Runner.infer`, and time outside it (decode, pad, copy, encode, waits) as a
share of model time. Prints a Markdown table last.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
from pathlib import Path


def measure(model: str, backend: str, source: Path, out_dir: Path, runs: int, threads: int | None) -> dict:
    """Median figures over `runs` runs of a 2x interpolation of `source` (one loaded runner)."""
    from vfi.runtime.backends import create_runner
    from vfi.runtime.pipeline import interpolate

    rows = []
    with create_runner(backend, model, threads=threads) as runner:
        for run in range(runs):
            summary = interpolate(source, out_dir / f"{model}-{backend}-{run}.mp4", runner, factor=2)
            rows.append(summary)
    wall = statistics.median(s.wall_s for s in rows)
    infer = statistics.median(s.infer_s for s in rows)
    other = statistics.median(s.other_s for s in rows)
    last = rows[-1]
    return {
        "model": model,
        "backend": backend,
        "output_frames": last.output_frames,
        "interpolated": last.interpolated,
        "wall_s": wall,
        "infer_s": infer,
        "other_s": other,
        "output_fps": last.output_frames / wall,
        "interpolated_fps": last.interpolated / wall,
        "outside_share_of_model": other / infer if infer else float("nan"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="360x640", help="HxW pixels")
    parser.add_argument("--frames", type=int, default=25, help="input frames")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--models", default="rife-4.0,rife-4.0-fast")
    parser.add_argument("--backends", default="torch")
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads (default: all cores)")
    args = parser.parse_args(argv)

    import torch

    from vfi.core.synthetic_scene import make_scene
    from vfi.runtime.video_io import write_video

    height, width = (int(v) for v in args.size.split("x"))
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scene = make_scene(height, width, n_shapes=4, speed=8.0, background_speed=3.0, seed=1)
        source = write_video(scene.render_clip(range(args.frames)), tmp / "source.mp4", fps=25.0)
        results = [
            measure(model, backend, source, tmp, args.runs, args.threads)
            for model in args.models.split(",")
            for backend in args.backends.split(",")
        ]
    print(
        f"machine: {platform.machine()} {platform.processor() or ''}, torch threads {torch.get_num_threads()}, "
        f"CPU, fp32, {width}x{height} H.264 in and out, 2x, {args.frames} input frames, median of {args.runs} runs"
    )
    print("| model | backend | output fps | interpolated fps | wall s | in model s | outside model s | outside / model |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['model']} | {r['backend']} | {r['output_fps']:.2f} | {r['interpolated_fps']:.2f} | {r['wall_s']:.2f} "
            f"| {r['infer_s']:.2f} | {r['other_s']:.2f} | {100 * r['outside_share_of_model']:.1f}% |"
        )


if __name__ == "__main__":
    main()
