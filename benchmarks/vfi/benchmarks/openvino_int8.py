"""Is int8 worth shipping? NNCF post-training quantization of the OpenVINO graph, measured.

    pip install -e .[int8-experiment]   # NNCF; not a dependency: int8 is not shipped (RESULTS.md)
    python -m vfi.benchmarks.openvino_int8 --threads 2 --middlebury ../shared/data/middlebury_other

The question the toolkit asks before it offers ``--precision int8`` on OpenVINO: is the quantized
model within 0.3 dB of fp32 on Middlebury-Other, and faster? This script answers it, per model,
against OpenVINO fp32 and OpenVINO bf16 (islands) in the same process.

How the int8 model is made: the fp32 graph that the `openvino` backend compiles for each padded
size is quantized by `nncf.quantize` (default preset, `--calibration` pairs) with every op type
except the convolutions and matrix products in NNCF's ignored scope. So only convolutions run in
int8 (their inputs and weights get FakeQuantize nodes) and every coordinate op (flows, their
resizes and rescaling, the sampling grid, the blend) stays fp32: the same islands as bf16. The
calibration pairs are frames 0 and 1 of rendered clips of real photographs
(`GraphSpec.rendered_inputs`), at the size being quantized, never Middlebury frames, plus, with
`--calibration-frames DIR`, consecutive pairs of a folder of real video frames resized to it.

Prints the machine (CPU and its precision flags), then a Markdown table last: median in-model time
of one call at `--size` (after `--warmup` untimed calls), the ratio against OpenVINO fp32, and
Middlebury-Other PSNR / IE with the mean and worst per-sequence difference against fp32.
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

from vfi.runtime.backends.openvino_backend import OpenVINORunner


class Int8OpenVINORunner(OpenVINORunner):
    """The `openvino` backend at fp32, with each padded size's graph quantized by NNCF first."""

    def __init__(self, model, calibration: int = 32, calibration_frames: Path | None = None, **options):
        super().__init__(model, precision="fp32", **options)
        self.calibration = calibration
        self.calibration_frames = calibration_frames

    def _model_for(self, height: int, width: int):
        import nncf

        from vfi.core.openvino import LOW_PRECISION_OPS

        key = (height, width)
        if key not in self._models:
            model, properties = super()._model_for(height, width)
            ignored = sorted({op.get_type_name() for op in model.get_ordered_ops()} - set(LOW_PRECISION_OPS))
            items = calibration_items(self._spec, height, width, self.calibration, self.calibration_frames)
            quantized = nncf.quantize(
                model,
                nncf.Dataset(items),
                subset_size=len(items),
                ignored_scope=nncf.IgnoredScope(types=ignored, validate=False),
            )
            self._models[key] = (quantized, properties)
        return self._models[key]


def calibration_items(spec, height: int, width: int, count: int, frames_dir: Path | None) -> list[dict]:
    """Graph feeds for calibration: `count` rendered pairs, plus consecutive pairs of `frames_dir`."""
    import numpy as np

    items = []
    for seed in range(count):
        feeds = spec.rendered_inputs(1, height, width, seed=1000 + seed)
        items.append(feeds)
    if frames_dir is not None:
        from PIL import Image

        from vfi.core.frames import list_image_files, read_image, to_model_input

        files = list_image_files(frames_dir)
        for first, second in zip(files, files[1:]):
            pair = [
                to_model_input(np.asarray(Image.fromarray(read_image(f)).resize((width, height), Image.BICUBIC)))
                for f in (first, second)
            ]
            items.append(spec.feeds(*pair, np.full(1, 0.5, np.float32)))
    return items


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["rife-4.0-fast", "rife-4.0"])
    parser.add_argument("--size", default="720x1280", help="HxW of the timed frames (padded to the model's multiple)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--calibration", type=int, default=32, help="rendered calibration pairs per padded size")
    parser.add_argument("--calibration-frames", type=Path, default=None, help="a folder of real video frames to add")
    parser.add_argument("--middlebury", type=Path, default=None, help="Middlebury-Other root (input/, gt/) to score each row")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    height, width = (int(v) for v in args.size.lower().split("x"))

    try:
        import nncf  # noqa: F401
    except ImportError:
        raise SystemExit("error: this experiment needs NNCF (pip install nncf); the toolkit does not ship int8") from None
    from vfi.benchmarks.cpu_engines import compare, measure, print_table
    from vfi.benchmarks.machine import library_versions, machine_info
    from vfi.runtime.backends import create_runner

    machine = machine_info("cpu", args.threads)
    print(f"machine: {machine['cpu']}, flags {' '.join(machine['cpu_flags']) or '-'}, {args.threads} threads", flush=True)
    configs = (
        ("OpenVINO fp32", lambda model: create_runner("openvino", model, precision="fp32", threads=args.threads)),
        ("OpenVINO bf16 (islands)", lambda model: create_runner("openvino", model, precision="bf16", threads=args.threads)),
        (
            "OpenVINO int8 (NNCF, islands fp32)",
            lambda model: Int8OpenVINORunner(
                model, calibration=args.calibration, calibration_frames=args.calibration_frames, threads=args.threads
            ),
        ),
    )
    rows = []
    for model in args.models:
        baseline = None
        for label, make in configs:
            row = measure(
                functools.partial(make, model),
                {"model": model, "engine": label},
                height,
                width,
                args.runs,
                args.warmup,
                args.middlebury,
            )
            rows.append(row)
            if "skipped" in row:
                print(f"{model:14s} {label:36s} skipped: {row['skipped']}", flush=True)
                continue
            baseline = baseline or row
            compare(row, baseline)
            print(f"{model:14s} {label:36s} {row['ms']:8.1f} ms  x{row['speedup']:.2f}", flush=True)
    if args.json is not None:
        from vfi.benchmarks.results_io import write_json

        write_json(
            args.json,
            {"kind": "vfi-openvino-int8", "machine": machine, "libraries": library_versions(), "runs": args.runs, "rows": rows},
        )
    print()
    print(
        f"CPU: {machine['cpu']} ({' '.join(machine['cpu_flags'])}), {args.threads} threads; median of {args.runs} calls "
        f"after {args.warmup} warm-up; {height}x{width} padded to the model's multiple; batch 1; "
        f"{args.calibration} rendered calibration pairs per size"
    )
    print()
    print_table(rows, "OpenVINO fp32")


if __name__ == "__main__":
    main()
