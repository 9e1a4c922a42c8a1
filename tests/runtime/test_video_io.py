"""Video files through PyAV: lossless FFV1 round trip, H.264 odd sizes, audio passthrough."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from runtime_doubles import AveragingRunner

from vfi.core.errors import InputError
from vfi.core.synthetic_scene import make_scene
from vfi.runtime.pipeline import interpolate
from vfi.runtime.video_io import VideoReader, VideoWriter, snap_frame_rate, write_video


def _frames(n=4, height=45, width=63, seed=0):
    return make_scene(height, width, seed=seed).render_clip(range(n))


@pytest.mark.parametrize("suffix", [".mkv", ".avi"])
def test_ffv1_round_trip_is_lossless(tmp_path, suffix):
    frames = _frames()
    path = write_video(frames, tmp_path / f"clip{suffix}", fps=24)
    with VideoReader(path) as reader:
        assert (reader.width, reader.height, reader.fps) == (63, 45, 24)
        decoded = list(reader)
    assert len(decoded) == len(frames)
    for a, b in zip(frames, decoded):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("height", "width"), [(45, 63), (46, 63), (45, 64)])
def test_h264_odd_size_keeps_its_exact_size_in_444(tmp_path, height, width):
    import av

    frames = _frames(3, height, width)
    path = write_video(frames, tmp_path / "clip.mp4", fps=25, crf=10)
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "yuv444p"
    with VideoReader(path) as reader:
        assert (reader.width, reader.height) == (width, height)
        first = next(iter(reader))
    assert first.shape == (height, width, 3)
    # crf 10 is close to lossless; no replicated row or column, the content matches closely.
    assert np.abs(first.astype(int) - frames[0]).mean() < 3


def test_h264_even_size_stays_420(tmp_path):
    import av

    path = write_video(_frames(2, 48, 64), tmp_path / "clip.mp4", fps=25)
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "yuv420p"


def test_not_a_video(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is text, not a video\n")
    with pytest.raises(InputError, match="not a readable video"):
        VideoReader(fake)


def test_unknown_output_suffix(tmp_path):
    with pytest.raises(InputError, match="suffix"):
        VideoWriter(tmp_path / "out.webm", 25, 32, 32)


def test_snap_frame_rate():
    assert snap_frame_rate(Fraction(19001, 317)) == Fraction(60000, 1001)  # matroska's ms rounding
    assert snap_frame_rate(Fraction(25)) == 25
    assert snap_frame_rate(Fraction(123, 7)) == Fraction(123, 7)


def _clip_with_audio(path, n_frames=6, fps=10, rate=16000):
    """A video with a 440 Hz sine AAC track, made with PyAV."""
    import av

    frames = _frames(n_frames, 48, 64)
    container = av.open(str(path), "w")
    video = container.add_stream("ffv1", rate=fps)
    video.width, video.height, video.pix_fmt = 64, 48, "bgr0"
    audio = container.add_stream("aac", rate=rate)
    audio.layout = "mono"
    for index, frame in enumerate(frames):
        vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
        vf.pts = index
        for packet in video.encode(vf):
            container.mux(packet)
    samples = (0.3 * np.sin(2 * np.pi * 440 * np.arange(rate * n_frames // fps) / rate)).astype(np.float32)
    for start in range(0, len(samples), 1024):
        af = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], format="fltp", layout="mono")
        af.sample_rate, af.pts = rate, start
        for packet in audio.encode(af):
            container.mux(packet)
    for stream in (video, audio):
        for packet in stream.encode(None):
            container.mux(packet)
    container.close()
    return frames


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_audio_passes_through(tmp_path, suffix):
    import av

    source = tmp_path / "in.mkv"
    frames = _clip_with_audio(source)
    with av.open(str(source)) as c:
        source_packets = [bytes(p) for p in c.demux(c.streams.audio[0]) if p.size]
    out = tmp_path / f"out{suffix}"
    summary = interpolate(source, out, AveragingRunner(), factor=2)
    assert summary.output_frames == 2 * len(frames) - 1
    with av.open(str(out)) as c:
        assert c.streams.video[0].average_rate == 20
        assert c.streams.audio[0].codec_context.name == "aac"
        out_packets = [bytes(p) for p in c.demux(c.streams.audio[0]) if p.size]
    assert out_packets == source_packets  # copied, not re-encoded


def test_video_pipeline_pass_through_is_bit_exact_with_ffv1(tmp_path):
    frames = _frames(4, 48, 64)
    source = write_video(frames, tmp_path / "in.mkv", fps=12)
    interpolate(source, tmp_path / "out.mkv", AveragingRunner(), factor=3)
    with VideoReader(tmp_path / "out.mkv") as reader:
        assert reader.fps == 36
        decoded = list(reader)
    assert len(decoded) == 10
    for i, frame in enumerate(frames):
        np.testing.assert_array_equal(decoded[3 * i], frame)
