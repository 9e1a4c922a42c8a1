"""Real timestamps through the pipeline: variable frame rate, gaps, exact NTSC rates, streams that
change or break part-way."""

from __future__ import annotations

import logging
from fractions import Fraction

import numpy as np
import pytest
from runtime_doubles import AveragingRunner

from vfi.core.synthetic_scene import make_scene
from vfi.runtime.pipeline import interpolate
from vfi.runtime.video_io import VideoReader, write_video

#: presentation times (ms) of a variable-rate clip: 40 ms steps, then a 120 ms gap
VFR_MS = [0, 40, 80, 200, 240]


def _flat(value, height=48, width=64):
    return np.full((height, width, 3), value, np.uint8)


def _write_timed(path, frames, times_ms, codec="ffv1"):
    """A video whose frame i is shown at times_ms[i] (time base 1/1000), made with PyAV."""
    import av

    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=25)
        stream.width, stream.height = width, height
        stream.pix_fmt = "bgr0" if codec == "ffv1" else "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for frame, ms in zip(frames, times_ms):
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
            video_frame.pts, video_frame.time_base = ms, Fraction(1, 1000)
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def _times_and_frames(path):
    with VideoReader(path) as reader:
        timed = list(reader.frames())
        return [f.time for f in timed], [f.image for f in timed], reader.variable_rate


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_variable_rate_factor_keeps_each_pairs_timing(tmp_path, suffix):
    values = [0, 40, 80, 200, 240]  # pixel value = time in ms: the blend's t shows in the pixels
    source = _write_timed(tmp_path / f"in{suffix}", [_flat(v) for v in values], VFR_MS, "ffv1" if suffix == ".mkv" else "mpeg4")
    with VideoReader(source) as reader:
        assert [f.time for f in reader.frames()] == [Fraction(ms, 1000) for ms in VFR_MS]
        assert reader.variable_rate
    # Flat frames of different values would read as scene cuts: detection off.
    summary = interpolate(source, tmp_path / "out.mkv", AveragingRunner(), factor=2, scene_threshold=0)
    assert summary.variable_rate and summary.output_frames == 9
    times, frames, _ = _times_and_frames(tmp_path / "out.mkv")
    assert times == [Fraction(ms, 1000) for ms in (0, 20, 40, 60, 80, 140, 200, 220, 240)]
    if suffix == ".mkv":  # lossless in and out: the in-between frames sit at t = 1/2 of each pair
        assert [int(f[0, 0, 0]) for f in frames] == [0, 20, 40, 60, 80, 140, 200, 220, 240]


def test_fps_over_a_gap_maps_each_output_to_its_bracketing_pair(tmp_path):
    values = [0, 40, 80, 200, 240]
    source = _write_timed(tmp_path / "in.mkv", [_flat(v) for v in values], VFR_MS)
    summary = interpolate(source, tmp_path / "out.mkv", AveragingRunner(), fps=25, scene_threshold=0)
    # From 0 to the last frame's end (240 ms + its 40 ms): 7 outputs at 40 ms steps.
    assert summary.output_frames == 7 and summary.variable_rate and summary.output_fps == 25
    times, frames, variable = _times_and_frames(tmp_path / "out.mkv")
    assert times == [Fraction(n, 25) for n in range(7)] and not variable
    # 120 and 160 ms lie 1/3 and 2/3 into the 80 -> 200 ms pair; 240 ms is the last frame itself.
    assert [int(f[0, 0, 0]) for f in frames] == [0, 40, 80, 120, 160, 200, 240]


def test_ntsc_rate_doubles_exactly(tmp_path):
    import av

    frames = make_scene(48, 64, seed=0).render_clip(range(5))
    source = write_video(frames, tmp_path / "in.mp4", fps=Fraction(24000, 1001))
    summary = interpolate(source, tmp_path / "out.mp4", AveragingRunner(), factor=2)
    assert not summary.variable_rate and summary.output_fps == pytest.approx(48000 / 1001)
    with av.open(str(tmp_path / "out.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.average_rate == Fraction(48000, 1001)
        assert stream.guessed_rate == Fraction(48000, 1001)
        pts = [frame.pts * frame.time_base for frame in container.decode(stream)]
    assert pts == [n * Fraction(1001, 48000) for n in range(9)]


def test_matroska_millisecond_rounding_is_not_variable_rate(tmp_path):
    frames = make_scene(48, 64, seed=0).render_clip(range(6))
    source = write_video(frames, tmp_path / "in.mkv", fps=Fraction(30000, 1001))
    times, _, variable = _times_and_frames(source)
    assert not variable and times == [n * Fraction(1001, 30000) for n in range(6)]
    # Doubling an NTSC rate from a millisecond container: every input frame passes through (t = 0).
    runner = AveragingRunner()
    summary = interpolate(source, tmp_path / "out", runner, fps=Fraction(60000, 1001))
    assert summary.output_frames == 12 and summary.interpolated == 5 + 0 and not summary.variable_rate


def test_frame_folder_is_constant_rate(tmp_path):
    from vfi.core.frames import write_png_folder

    write_png_folder([_flat(v) for v in (0, 100, 200)], tmp_path / "in")
    summary = interpolate(tmp_path / "in", tmp_path / "out.mkv", AveragingRunner(), factor=2, input_fps=10)
    times, _, variable = _times_and_frames(tmp_path / "out.mkv")
    assert times == [Fraction(n, 20) for n in range(5)] and not variable and not summary.variable_rate


def _raw_h264(path, frames, pix_fmt="yuv420p"):
    import av

    height, width = frames[0].shape[:2]
    with av.open(str(path), "w", format="h264") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.options = {"crf": "10"}
        for index, frame in enumerate(frames):
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
            video_frame.pts = index
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path.read_bytes()


@pytest.mark.parametrize("change", ["size", "format"])
def test_stream_that_changes_mid_way_is_scaled_and_cut(tmp_path, caplog, change):
    first = make_scene(48, 64, seed=1).render_clip(range(3))
    if change == "size":
        second, pix_fmt = make_scene(64, 80, seed=1).render_clip(range(3, 6)), "yuv420p"
    else:
        second, pix_fmt = make_scene(48, 64, seed=1).render_clip(range(3, 6)), "yuv444p"
    data = _raw_h264(tmp_path / "a.h264", first) + _raw_h264(tmp_path / "b.h264", second, pix_fmt)
    (tmp_path / "in.h264").write_bytes(data)
    with caplog.at_level(logging.WARNING, logger="vfi"):
        summary = interpolate(tmp_path / "in.h264", tmp_path / "out", AveragingRunner(), factor=2, scene_threshold=0)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "changes from 64x48" in warnings[0] and "scene cut" in warnings[0], warnings
    assert summary.input_frames == 6 and summary.output_frames == 11
    assert summary.cut_pairs == 1 and summary.interpolated == 4  # scene cuts disabled: only the change is a cut
    from PIL import Image

    assert {Image.open(p).size for p in (tmp_path / "out").iterdir()} == {(64, 48)}


def test_stream_that_breaks_part_way_uses_the_frames_before(tmp_path, caplog, monkeypatch):
    import av

    frames = make_scene(48, 64, seed=2).render_clip(range(6))
    source = write_video(frames, tmp_path / "in.mkv", fps=25)
    real_decode = av.container.InputContainer.decode

    def decode(self, *args, **kwargs):
        # FFmpeg conceals most damage instead of failing; a decoder that gives up after three
        # frames is the case this checks.
        for index, frame in enumerate(real_decode(self, *args, **kwargs)):
            if index == 3:
                raise av.error.InvalidDataError(1094995529, "Invalid data found when processing input")
            yield frame

    monkeypatch.setattr(av.container.InputContainer, "decode", decode)
    with caplog.at_level(logging.WARNING, logger="vfi"):
        summary = interpolate(source, tmp_path / "out.mkv", AveragingRunner(), factor=2)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "past frame 3" in warnings[0] and "the 3 frames before it were used" in warnings[0]
    assert summary.input_frames == 3 and summary.output_frames == 5
