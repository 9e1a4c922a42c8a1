"""Depth, alpha, colour and rotation kept from input to output (or dropped with one warning)."""

from __future__ import annotations

import logging
from fractions import Fraction

import numpy as np
import pytest
from runtime_doubles import AveragingRunner

from vfi.core.frames import read_image, write_png
from vfi.core.synthetic_scene import make_scene
from vfi.runtime.pipeline import interpolate
from vfi.runtime.video_io import X265_SMALL_FRAME_PARAMS, VideoReader, write_video


def _deep_clip(n=3, height=40, width=48, channels=3, seed=0):
    """16-bit frames with smooth motion and values that are not multiples of 257 (not 8-bit)."""
    frames = [f.astype(np.uint16) * 257 + np.uint16(seed + 3) for f in make_scene(height, width, seed=seed).render_clip(range(n))]
    if channels == 4:
        ramp = np.linspace(1000, 64000, width, dtype=np.uint16)[None, :, None].repeat(height, axis=0)
        frames = [np.concatenate([f, ramp + np.uint16(100 * i)], axis=2) for i, f in enumerate(frames)]
    return frames


def _warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def _png_folder(folder, frames):
    folder.mkdir()
    for i, frame in enumerate(frames):
        write_png(frame, folder / f"{i:05d}.png")
    return folder


@pytest.mark.parametrize("channels", [3, 4])
def test_16bit_png_folder_in_16bit_png_folder_out(tmp_path, channels, caplog):
    frames = _deep_clip(channels=channels)
    _png_folder(tmp_path / "in", frames)
    with caplog.at_level(logging.WARNING, logger="vfi"):
        summary = interpolate(tmp_path / "in", tmp_path / "out", AveragingRunner(), factor=2)
    assert not _warnings(caplog)
    outputs = [read_image(p, keep_depth=True) for p in sorted((tmp_path / "out").iterdir())]
    assert summary.output_frames == len(outputs) == 5
    assert all(o.dtype == np.uint16 and o.shape == (40, 48, channels) for o in outputs)
    for i, frame in enumerate(frames):
        np.testing.assert_array_equal(outputs[2 * i], frame)  # bit-exact pass-through at 16 bits
    middle = (frames[0].astype(np.float64) + frames[1]) / 2
    assert np.abs(outputs[1].astype(np.float64) - middle).max() <= 1  # not rounded to 8 bits
    assert np.any(outputs[1] % 257 != 0)


def test_16bit_grayscale_png_is_read_at_full_precision(tmp_path):
    from PIL import Image

    gray = (np.arange(40 * 48, dtype=np.uint32).reshape(40, 48) * 31 % 65536).astype(np.uint16)
    Image.fromarray(gray).save(tmp_path / "g.png")
    image = read_image(tmp_path / "g.png", keep_depth=True)
    assert image.dtype == np.uint16 and image.shape == (40, 48, 3)
    np.testing.assert_array_equal(image[..., 1], gray)


def test_rgb48_ffv1_round_trip_and_pass_through_bit_exact(tmp_path):
    import av

    frames = _deep_clip(4)
    source = write_video(frames, tmp_path / "in.mkv", fps=24)
    with VideoReader(source, keep_depth=True) as reader:
        assert (reader.bits, reader.dtype) == (16, np.uint16)
    interpolate(source, tmp_path / "out.mkv", AveragingRunner(), factor=2)
    with av.open(str(tmp_path / "out.mkv")) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "gbrp16le"
    with VideoReader(tmp_path / "out.mkv", keep_depth=True) as reader:
        decoded = list(reader)
    assert len(decoded) == 7
    for i, frame in enumerate(frames):
        np.testing.assert_array_equal(decoded[2 * i], frame)


def _yuv10_source(path, frames, codec="ffv1", color=None, rotation=None):
    import av

    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p10le"
        if codec == "libx265":
            stream.options = {"x265-params": "log-level=error:" + X265_SMALL_FRAME_PARAMS}  # see its comment
        for key, value in (color or {}).items():
            setattr(stream.codec_context, key, value)
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for index, frame in enumerate(frames):
            convert = {"dst_colorspace": color["colorspace"], "dst_color_range": color["color_range"]} if color else {}
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb48le").reformat(format="yuv420p10le", **convert)
            for key, value in (color or {}).items():
                setattr(video_frame, key, value)
            video_frame.pts = index
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def test_10bit_yuv_is_read_as_uint16_and_kept_in_16bit_ffv1(tmp_path):
    frames = _deep_clip(3)
    source = _yuv10_source(tmp_path / "in.mkv", frames)
    with VideoReader(source, keep_depth=True) as reader:
        assert reader.bits == 10 and reader.dtype == np.uint16
        decoded = list(reader)
    # Close to the source (4:2:0 chroma costs a little), and not through 8 bits: an 8-bit path
    # would give multiples of 257 only.
    assert np.abs(decoded[0].astype(int) - frames[0]).mean() < 1000
    assert np.mean(decoded[0] % 257 != 0) > 0.5
    interpolate(source, tmp_path / "out.mkv", AveragingRunner(), factor=2)
    with VideoReader(tmp_path / "out.mkv", keep_depth=True) as reader:
        out = list(reader)
    np.testing.assert_array_equal(out[0], decoded[0])  # the decoded input passes through bit-exactly


def test_16bit_into_h264_warns_once(tmp_path, caplog):
    _png_folder(tmp_path / "in", _deep_clip(3))
    with caplog.at_level(logging.WARNING, logger="vfi"):
        interpolate(tmp_path / "in", tmp_path / "out.mp4", AveragingRunner(), factor=2)
    warnings = _warnings(caplog)
    assert len(warnings) == 1 and "16 bits" in warnings[0] and "H.264" in warnings[0] and "stores 8" in warnings[0]


@pytest.mark.parametrize(("height", "width", "pix_fmt"), [(40, 48, "yuv420p10le"), (41, 47, "yuv444p10le")])
def test_hevc_10bit_output(tmp_path, caplog, height, width, pix_fmt):
    import av

    frames = _deep_clip(3, height, width)
    source = _yuv10_source(tmp_path / "in.mkv", frames) if height % 2 == 0 else write_video(frames, tmp_path / "in.mkv")
    with caplog.at_level(logging.WARNING, logger="vfi"):
        interpolate(source, tmp_path / "out.mp4", AveragingRunner(), factor=2, codec="hevc")
    assert len(_warnings(caplog)) == (0 if height % 2 == 0 else 1)  # 16-bit -> 10-bit warns once
    with av.open(str(tmp_path / "out.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "hevc" and stream.codec_context.pix_fmt == pix_fmt
        assert (stream.codec_context.width, stream.codec_context.height) == (width, height)
        assert len(list(container.decode(stream))) == 5


def test_codec_refused_for_a_container_that_cannot_hold_it(tmp_path):
    from vfi.core.errors import InputError

    _png_folder(tmp_path / "in", _deep_clip(2))
    with pytest.raises(InputError, match="--codec hevc cannot go into a .avi"):
        interpolate(tmp_path / "in", tmp_path / "out.avi", AveragingRunner(), codec="hevc")
    assert not (tmp_path / "out.avi").exists()


def test_alpha_dropped_from_h264_with_one_warning_and_kept_in_ffv1(tmp_path, caplog):
    frames = [(f >> 8).astype(np.uint8) for f in _deep_clip(3, channels=4)]
    _png_folder(tmp_path / "in", frames)
    with caplog.at_level(logging.WARNING, logger="vfi"):
        interpolate(tmp_path / "in", tmp_path / "out.mp4", AveragingRunner(), factor=2)
    warnings = _warnings(caplog)
    assert len(warnings) == 1 and "alpha" in warnings[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="vfi"):
        interpolate(tmp_path / "in", tmp_path / "out.mkv", AveragingRunner(), factor=2)
    assert not _warnings(caplog)
    with VideoReader(tmp_path / "out.mkv", keep_depth=True) as reader:
        assert reader.has_alpha
        decoded = list(reader)
    np.testing.assert_array_equal(decoded[2], frames[1])
    expected_alpha = np.rint((frames[0][..., 3].astype(float) + frames[1][..., 3]) / 2)
    assert np.abs(decoded[1][..., 3] - expected_alpha).max() <= 1


def test_colour_metadata_and_rotation_pass_through(tmp_path):
    import av

    color = {"color_primaries": 1, "color_trc": 1, "colorspace": 1, "color_range": 1}  # BT.709, limited range
    source = _yuv10_source(tmp_path / "in.mp4", _deep_clip(3), codec="libx265", color=color, rotation=90)
    for suffix in (".mp4", ".mkv"):
        interpolate(source, tmp_path / f"out{suffix}", AveragingRunner(), factor=2, codec="hevc")
        with av.open(str(tmp_path / f"out{suffix}")) as container:
            ctx = container.streams.video[0].codec_context
            assert (ctx.color_primaries, ctx.color_trc, ctx.colorspace, ctx.color_range) == (1, 1, 1, 1)
            frame = next(container.decode(video=0))
            assert frame.rotation == 90
    # H.264 too, and FFV1 (RGB: primaries and transfer; no YUV matrix applies).
    interpolate(source, tmp_path / "h264.mp4", AveragingRunner(), factor=2)
    interpolate(source, tmp_path / "ffv1.mkv", AveragingRunner(), factor=2)
    with av.open(str(tmp_path / "h264.mp4")) as container:
        ctx = container.streams.video[0].codec_context
        assert (ctx.color_primaries, ctx.color_trc, ctx.colorspace, ctx.color_range) == (1, 1, 1, 1)
        assert next(container.decode(video=0)).rotation == 90
    with av.open(str(tmp_path / "ffv1.mkv")) as container:
        ctx = container.streams.video[0].codec_context
        assert (ctx.color_primaries, ctx.color_trc) == (1, 1)
        assert next(container.decode(video=0)).rotation == 90


def test_bt709_colours_survive_the_yuv_round_trip(tmp_path):
    # A BT.709 source decoded with BT.709 and re-encoded with BT.709: a flat colour comes back,
    # where a BT.601 default on either side would shift it visibly.
    flat = np.zeros((40, 48, 3), np.uint16)
    flat[...] = (50000, 20000, 8000)
    color = {"color_primaries": 1, "color_trc": 1, "colorspace": 1, "color_range": 1}
    source = _yuv10_source(tmp_path / "in.mkv", [flat] * 3, color=color)
    with VideoReader(source, keep_depth=True) as reader:
        decoded = next(iter(reader))
    assert np.abs(decoded.astype(int) - flat).max() < 700
    interpolate(source, tmp_path / "out.mp4", AveragingRunner(), factor=2, codec="hevc", crf=0)
    with VideoReader(tmp_path / "out.mp4", keep_depth=True) as reader:
        again = next(iter(reader))
    assert np.abs(again.astype(int) - decoded).max() < 700


def test_scene_detection_on_uint16():
    from vfi.runtime.scene import classify_pair, cut_score

    scene = make_scene(48, 64, seed=1)
    a, b = (scene.render(i).astype(np.uint16) * 257 for i in (0, 1))
    assert cut_score(a, b) == pytest.approx(cut_score(scene.render(0), scene.render(1)), abs=0.02)
    assert classify_pair(a, b) == "motion"
    assert classify_pair(np.zeros_like(a), np.full_like(a, 65535)) == "cut"


def test_ntsc_deep_video_keeps_rate(tmp_path):
    frames = _deep_clip(3)
    source = write_video(frames, tmp_path / "in.mkv", fps=Fraction(24000, 1001))
    summary = interpolate(source, tmp_path / "out.mkv", AveragingRunner(), factor=2)
    with VideoReader(tmp_path / "out.mkv", keep_depth=True) as reader:
        assert reader.fps == Fraction(48000, 1001) and reader.dtype == np.uint16
    assert summary.output_frames == 5


def test_plain_reader_gives_rgb_uint8_for_other_callers(tmp_path):
    # Callers outside the pipeline (the eval's video dataset) keep getting RGB uint8.
    source = write_video(_deep_clip(2, channels=4), tmp_path / "in.mkv")
    with VideoReader(source) as reader:
        assert reader.bits == 16 and not reader.has_alpha
        frame = next(iter(reader))
    assert frame.dtype == np.uint8 and frame.shape == (40, 48, 3)
