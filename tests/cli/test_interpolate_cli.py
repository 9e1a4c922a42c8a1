"""`vfi interpolate` from the command line: bad input gives one line, no traceback, no output."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from cli_runs import assert_one_line_error, run_cli
from narrow_models import NARROW_DBVFI
from PIL import Image

from vfi.core.frames import write_png_folder
from vfi.core.metrics import psnr
from vfi.core.synthetic_scene import drop_frame_example, make_scene
from vfi.runtime.video_io import write_video


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A RIFE 4.0 fast-mode checkpoint with random weights (no download needed)."""
    import vfi.models

    path = tmp_path_factory.mktemp("ckpt") / "rife-fast-random.safetensors"
    return vfi.models.save(vfi.models.create("rife-4.0-fast"), path)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clip") / "in"
    return write_png_folder(make_scene(64, 64, seed=0).render_clip(range(3)), folder)


def _assert_no_output(tmp_path, output):
    assert not output.exists()
    assert not [p for p in output.parent.iterdir() if ".partial" in p.name]


def test_missing_input(tmp_path, capsys, checkpoint):
    code, _, err = run_cli(["interpolate", tmp_path / "nope.mp4", "-o", tmp_path / "out.mp4", "-m", checkpoint], capsys)
    assert_one_line_error(code, err, "input not found")
    _assert_no_output(tmp_path, tmp_path / "out.mp4")


def test_text_file_named_mp4(tmp_path, capsys, checkpoint):
    fake = tmp_path / "fake.mp4"
    fake.write_text("hello\n")
    code, _, err = run_cli(["interpolate", fake, "-o", tmp_path / "out.mp4", "-m", checkpoint], capsys)
    assert_one_line_error(code, err, "not a readable video")
    _assert_no_output(tmp_path, tmp_path / "out.mp4")


def test_single_frame_folder(tmp_path, capsys, checkpoint):
    write_png_folder(make_scene(64, 64).render_clip([0]), tmp_path / "one")
    code, _, err = run_cli(["interpolate", tmp_path / "one", "-o", tmp_path / "out", "-m", checkpoint], capsys)
    assert_one_line_error(code, err, "at least two")
    _assert_no_output(tmp_path, tmp_path / "out")


def test_single_frame_video_found_while_streaming(tmp_path, capsys, checkpoint):
    # Matroska does not store a frame count, so this is only found after decoding starts.
    video = write_video(make_scene(64, 64).render_clip([0]), tmp_path / "one.mkv")
    code, _, err = run_cli(["interpolate", video, "-o", tmp_path / "out.mkv", "-m", checkpoint], capsys)
    assert_one_line_error(code, err, "at least two")
    _assert_no_output(tmp_path, tmp_path / "out.mkv")


def test_frames_of_different_sizes(tmp_path, capsys, checkpoint):
    folder = write_png_folder(make_scene(64, 64).render_clip([0, 1]), tmp_path / "mixed")
    Image.fromarray(make_scene(64, 72).render(2)).save(folder / "00002.png")
    code, _, err = run_cli(["interpolate", folder, "-o", tmp_path / "out", "-m", checkpoint], capsys)
    assert_one_line_error(code, err, "00002.png")
    _assert_no_output(tmp_path, tmp_path / "out")


@pytest.mark.parametrize("factor", ["1", "0"])
def test_factor_below_two(clip, tmp_path, capsys, checkpoint, factor):
    code, _, err = run_cli(["interpolate", clip, "-o", tmp_path / "out", "--factor", factor, "-m", checkpoint], capsys)
    assert_one_line_error(code, err, "--factor")
    _assert_no_output(tmp_path, tmp_path / "out")


def test_factor_and_fps_together(clip, tmp_path, capsys, checkpoint):
    code, _, err = run_cli(["interpolate", clip, "-o", tmp_path / "out", "--factor", 2, "--fps", 60, "-m", checkpoint], capsys)
    assert_one_line_error(code, err, "not both")


def test_frames_too_small(tmp_path, capsys, checkpoint):
    folder = write_png_folder(make_scene(24, 40).render_clip([0, 1]), tmp_path / "small")
    code, _, err = run_cli(["interpolate", folder, "-o", tmp_path / "out", "-m", checkpoint], capsys)
    assert_one_line_error(code, err, "at least 32x32")
    _assert_no_output(tmp_path, tmp_path / "out")


def test_corrupt_checkpoint(clip, tmp_path, capsys):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00\x01garbage" * 10)
    code, _, err = run_cli(["interpolate", clip, "-o", tmp_path / "out.mp4", "-m", bad], capsys)
    assert_one_line_error(code, err, "bad.safetensors")
    _assert_no_output(tmp_path, tmp_path / "out.mp4")


def test_missing_checkpoint(clip, tmp_path, capsys):
    code, _, err = run_cli(["interpolate", clip, "-o", tmp_path / "out.mp4", "-m", tmp_path / "gone.safetensors"], capsys)
    assert_one_line_error(code, err, "checkpoint not found")
    _assert_no_output(tmp_path, tmp_path / "out.mp4")


def test_missing_weights(clip, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VFI_CACHE_DIR", str(tmp_path / "empty-cache"))
    code, _, err = run_cli(["interpolate", clip, "-o", tmp_path / "out.mp4", "-m", "rife-4.0"], capsys)
    assert_one_line_error(code, err, "vfi weights import rife")
    _assert_no_output(tmp_path, tmp_path / "out.mp4")


@pytest.mark.parametrize(
    "option,pattern",
    [
        (["--backend", "nope"], "--backend 'nope' is unknown"),
        (["--backend", "torch", "--precision", "fp16"], "precision fp16 is not offered by the torch backend on cpu"),
        (["--device", "tpu"], "--device 'tpu' is unknown"),
    ],
)
def test_unavailable_backend_device_precision(clip, tmp_path, capsys, checkpoint, option, pattern):
    code, _, err = run_cli(["interpolate", clip, "-o", tmp_path / "out.mp4", "-m", checkpoint, *option], capsys)
    assert_one_line_error(code, err, pattern)
    _assert_no_output(tmp_path, tmp_path / "out.mp4")


def test_cuda_unavailable(clip, tmp_path, capsys, checkpoint):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code, _, err = run_cli(["interpolate", clip, "-o", tmp_path / "out.mp4", "-m", checkpoint, "--device", "cuda"], capsys)
    assert_one_line_error(code, err, "--device cuda")


def test_unknown_output_suffix(clip, tmp_path, capsys, checkpoint):
    code, _, err = run_cli(["interpolate", clip, "-o", tmp_path / "out.webm", "-m", checkpoint], capsys)
    assert_one_line_error(code, err, "unknown suffix")


def test_output_parents_created_and_file_overwritten(clip, tmp_path, capsys, checkpoint):
    out = tmp_path / "new" / "deeper" / "out.mp4"
    code, stdout, err = run_cli(["interpolate", clip, "-o", out, "-m", checkpoint], capsys)
    assert code == 0, err
    assert out.is_file() and "5 frames" in stdout
    first = out.stat().st_mtime_ns
    code, _, err = run_cli(["interpolate", clip, "-o", out, "-m", checkpoint, "--factor", 3, "-q"], capsys)
    assert code == 0 and err == ""
    assert out.stat().st_mtime_ns >= first
    assert sorted(p.name for p in out.parent.iterdir()) == ["out.mp4"]  # no temporary files left


def test_console_script_one_line(tmp_path):
    """The installed entry point (python -m vfi) prints one line and exits 2."""
    result = subprocess.run(
        [sys.executable, "-m", "vfi", "interpolate", str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "o.mp4")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"vfi: error: input not found: {tmp_path / 'missing.mp4'}"]


def test_pretrained_beats_frame_averaging(tmp_path, capsys, rife_weights):
    """Drop-frame quality on a synthetic clip: 7 frames at 96x128, odd ones dropped, 2x back.

    Measured (torch CPU, this clip): the model is about 6.9 dB above frame averaging
    (32.0 vs 25.2 dB mean PSNR over the 3 dropped frames); the threshold is 3 dB.
    """
    inputs, truths = drop_frame_example(make_scene(96, 128, seed=0), 7)
    folder = write_png_folder(inputs, tmp_path / "in")
    code, _, err = run_cli(["interpolate", folder, "-o", tmp_path / "out", "-m", rife_weights, "-q"], capsys)
    assert code == 0, err
    outputs = [np.asarray(Image.open(p).convert("RGB")) for p in sorted((tmp_path / "out").iterdir())]
    assert len(outputs) == 7
    for i, frame in enumerate(inputs):
        np.testing.assert_array_equal(outputs[2 * i], frame)
    model = np.mean([psnr(outputs[2 * i + 1], truth) for i, truth in enumerate(truths)])
    average = np.mean(
        [psnr(np.rint((a.astype(np.float64) + b) / 2).astype(np.uint8), truth) for a, b, truth in zip(inputs, inputs[1:], truths)]
    )
    assert model >= average + 3.0, f"model {model:.2f} dB vs averaging {average:.2f} dB"


def test_summary_names_the_automatic_backend_and_precision(clip, tmp_path, capsys, checkpoint):
    pytest.importorskip("openvino")
    from vfi.core.openvino import cpu_precisions

    code, stdout, err = run_cli(["interpolate", clip, "-o", tmp_path / "out.mp4", "-m", checkpoint, "--device", "cpu"], capsys)
    assert code == 0, err
    assert "backend openvino (auto: first available of openvino, torch for a model on cpu) on cpu" in stdout
    if "bf16" in cpu_precisions():
        assert "at bf16 (auto: bf16 with fp32 coordinates, native on this CPU)" in stdout
    else:
        assert "at fp32 (auto: fp32, this CPU has no native bf16)" in stdout
    code, stdout, err = run_cli(["interpolate", clip, "-o", tmp_path / "t.mp4", "-m", checkpoint, "--backend", "torch"], capsys)
    assert code == 0 and "backend torch (asked for)" in stdout and "at fp32 (auto: fp32)" in stdout, err


@pytest.fixture(scope="module")
def dbvfi_checkpoint(tmp_path_factory):
    """A narrow DBVFI (two frames on each side) with random weights."""
    import torch

    import vfi.models

    torch.manual_seed(0)
    model = vfi.models.create("dbvfi", **{**NARROW_DBVFI, "steps": 2, "alphas": [1.0, 1.0]})
    return vfi.models.save(model, tmp_path_factory.mktemp("dbvfi") / "dbvfi-narrow.safetensors")


def test_context_model_interpolates_a_clip_with_known_in_between_frames(tmp_path, capsys, dbvfi_checkpoint):
    """DBVFI on a rendered clip (the true in-between frames are known): right count and size, input
    frames bit-exact, a cut in the clip crossed by copies. (Context windows on the exported-graph
    backends: tests/runtime/test_backends.py; DBVFI's graphs: tests/export/test_every_model_exports.py.)"""
    scene = make_scene(72, 88, seed=5)
    frames = scene.render_clip(range(4)) + make_scene(72, 88, seed=9).render_clip(range(2))
    write_png_folder(frames, tmp_path / "in")
    code, out, err = run_cli(
        ["interpolate", tmp_path / "in", "-o", tmp_path / "out", "-m", dbvfi_checkpoint, "--backend", "torch", "-f", "2"], capsys
    )
    assert code == 0, err
    outputs = [np.asarray(Image.open(p).convert("RGB")) for p in sorted((tmp_path / "out").iterdir())]
    assert len(outputs) == (len(frames) - 1) * 2 + 1 and {o.shape for o in outputs} == {(72, 88, 3)}
    for i, frame in enumerate(frames):
        np.testing.assert_array_equal(outputs[2 * i], frame)
    np.testing.assert_array_equal(outputs[7], frames[4])  # across the cut 3 -> 4, t = 0.5 repeats frame 4 (nearer_frame)
    # Random weights: no quality claim, but the frames between real pairs are made by the model.
    truth = scene.render(0.5)
    assert 5.0 < psnr(outputs[1], truth) < 60.0
