"""The demo behind `make demo`: drop every other frame of a sample clip, interpolate it back 2x,
and compare with the frames that were dropped.

The sample clip is rendered by `vfi.core.synthetic_scene`: real photographs (scikit-image's
bundled samples) moving over a panning photograph, so the true in-between frames are known exactly.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class DemoResult:
    """PSNR (dB) of each reconstructed frame and of frame averaging, plus the files written."""

    model: str
    backend: str
    psnr: list[float] = field(default_factory=list)
    averaging_psnr: list[float] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)

    @property
    def mean_psnr(self) -> float:
        return float(np.mean(self.psnr))

    @property
    def mean_averaging_psnr(self) -> float:
        return float(np.mean(self.averaging_psnr))


def side_by_side(panels: list[tuple[str, np.ndarray]]) -> np.ndarray:
    """One RGB uint8 image of labelled panels placed left to right."""
    from PIL import Image, ImageDraw

    height, width = panels[0][1].shape[:2]
    label_height = 22
    canvas = Image.new("RGB", (width * len(panels), height + label_height), "white")
    draw = ImageDraw.Draw(canvas)
    for index, (label, image) in enumerate(panels):
        canvas.paste(Image.fromarray(image), (index * width, label_height))
        draw.text((index * width + 6, 4), label, fill="black")
    return np.asarray(canvas)


def run_demo(
    out_dir: str | Path,
    model: str | None = None,
    backend: str = "auto",
    height: int = 360,
    width: int = 640,
    n_frames: int = 17,
    seed: int = 0,
    fps: float = 25.0,
) -> DemoResult:
    """Render a clip of `n_frames` at `height` x `width`, keep the even frames, interpolate 2x with
    `model` on `backend` (CPU), and measure PSNR of each odd frame against the truth.

    Writes into `out_dir`: `input_half_rate.mp4` (the kept frames), `interpolated.mp4` (the 2x
    result, H.264), `interpolated/` (the 2x result as lossless PNG frames, which the PSNR is
    computed on) and `side_by_side.png` (input pair | interpolated | ground truth).
    """
    from PIL import Image

    from vfi.core.frames import list_image_files, read_image, write_png_folder
    from vfi.core.metrics import frame_average, psnr
    from vfi.core.synthetic_scene import drop_frame_example, make_scene
    from vfi.models import DEFAULT_MODEL
    from vfi.runtime.backends import create_runner
    from vfi.runtime.pipeline import interpolate
    from vfi.runtime.video_io import write_video

    model = model or DEFAULT_MODEL
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Motion after dropping frames: objects up to 16 px and the background 6 px per kept frame.
    scene = make_scene(height, width, n_shapes=4, speed=8.0, background_speed=3.0, seed=seed)
    inputs, truths = drop_frame_example(scene, n_frames)
    result = DemoResult(model=model, backend=backend)
    result.files["input"] = write_video(inputs, out_dir / "input_half_rate.mp4", fps=fps / 2)
    frames_dir = out_dir / "interpolated"
    with tempfile.TemporaryDirectory() as tmp:
        source = write_png_folder(inputs, Path(tmp) / "input")
        with create_runner(backend, model, device="cpu") as runner:
            result.backend = f"{runner.name} ({runner.backend_choice}), {runner.precision}"
            summary = interpolate(source, frames_dir, runner, factor=2, input_fps=fps / 2)
    result.summary = summary.as_dict()
    outputs = [read_image(p) for p in list_image_files(frames_dir)]
    if len(outputs) != 2 * len(inputs) - 1:
        raise RuntimeError(f"expected {2 * len(inputs) - 1} output frames, found {len(outputs)}")
    for index, truth in enumerate(truths):
        made = outputs[2 * index + 1]
        average = frame_average(inputs[index], inputs[index + 1])
        result.psnr.append(psnr(made, truth))
        result.averaging_psnr.append(psnr(average, truth))
    result.files["frames"] = frames_dir
    result.files["video"] = write_video(outputs, out_dir / "interpolated.mp4", fps=fps)
    middle = len(truths) // 2
    panel = side_by_side(
        [
            ("input frame 0", inputs[middle]),
            ("input frame 1", inputs[middle + 1]),
            (f"interpolated ({result.psnr[middle]:.2f} dB)", outputs[2 * middle + 1]),
            ("ground truth (dropped)", truths[middle]),
        ]
    )
    result.files["side_by_side"] = out_dir / "side_by_side.png"
    Image.fromarray(panel).save(result.files["side_by_side"])
    return result
