"""Property-based checks of `vfi interpolate`'s media handling (hypothesis), with the averaging
runner as the model: generated clips of random size (32-97 px), length (2-6 frames), depth (8 or
16 bits), container (FFV1 video or a PNG folder), rational constant rates or variable-rate
timestamps, and factors 2-5. Every example must give (N-1)k+1 frames of the input's size, input
frames bit-exact at their depth, each in-between frame at j/k of its own pair's real interval, and
nothing but the output in the output folder."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runtime_doubles import AveragingRunner

from vfi.core.frames import read_image, write_png
from vfi.runtime.pipeline import interpolate
from vfi.runtime.video_io import VideoReader

RATES = [Fraction(24000, 1001), Fraction(25), Fraction(30000, 1001), Fraction(60)]


def _frames(rng, count: int, height: int, width: int, deep: bool) -> list[np.ndarray]:
    """A smooth pan with noise (so no pair reads as a duplicate or a scene cut), 8 or 16 bits."""
    base = rng.random((height, width + 2 * count, 3))
    frames = [base[:, 2 * i : 2 * i + width] for i in range(count)]
    top = 65535 if deep else 255
    return [np.rint(f * top).astype(np.uint16 if deep else np.uint8) for f in frames]


def _write_video(path, frames, times: list[Fraction], time_base: Fraction) -> None:
    import av

    height, width = frames[0].shape[:2]
    deep = frames[0].dtype == np.uint16
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=25)
        stream.width, stream.height = width, height
        stream.pix_fmt = "gbrp16le" if deep else "bgr0"
        stream.codec_context.time_base = time_base
        for frame, time in zip(frames, times):
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb48le" if deep else "rgb24")
            video_frame.pts, video_frame.time_base = int(time / time_base), time_base
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


@st.composite
def clips(draw):
    count = draw(st.integers(2, 6))
    timing = draw(st.sampled_from(["constant", "variable"]))
    if timing == "constant":
        rate = draw(st.sampled_from(RATES))
        times, base = [i / rate for i in range(count)], 1 / rate
    else:  # strictly increasing millisecond times with uneven steps (and gaps)
        steps = draw(st.lists(st.integers(20, 150), min_size=count - 1, max_size=count - 1))
        times, base = [Fraction(sum(steps[:i]), 1000) for i in range(count)], Fraction(1, 1000)
    return {
        "count": count,
        "height": draw(st.integers(32, 97)),
        "width": draw(st.integers(32, 97)),
        "deep": draw(st.booleans()),
        "container": draw(st.sampled_from(["ffv1", "png"])),
        "times": times,
        "time_base": base,
        "factor": draw(st.integers(2, 5)),
        "seed": draw(st.integers(0, 2**16)),
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(clip=clips())
def test_interpolate_keeps_count_size_depth_timing_and_leaves_nothing_else(clip, tmp_path_factory):
    folder = tmp_path_factory.mktemp("clip")
    frames = _frames(np.random.default_rng(clip["seed"]), clip["count"], clip["height"], clip["width"], clip["deep"])
    k, n = clip["factor"], clip["count"]
    if clip["container"] == "png":
        source = folder / "in"
        source.mkdir()
        for i, frame in enumerate(frames):
            write_png(frame, source / f"f{i}.png")
        output = folder / "out"
    else:
        source = folder / "in.mkv"
        _write_video(source, frames, clip["times"], clip["time_base"])
        output = folder / "out.mkv"
    summary = interpolate(source, output, AveragingRunner(pad_multiple=8), factor=k, scene_threshold=0)

    assert summary.output_frames == (n - 1) * k + 1
    assert sorted(p.name for p in folder.iterdir()) == sorted([source.name, output.name])  # no leftovers
    if clip["container"] == "png":
        written = [read_image(p, keep_depth=True) for p in sorted(output.iterdir())]
        times = None
    else:
        with VideoReader(output, keep_depth=True) as reader:
            timed = list(reader.frames())
        written, times = [f.image for f in timed], [f.time for f in timed]
    assert len(written) == (n - 1) * k + 1
    assert {w.shape for w in written} == {(clip["height"], clip["width"], 3)}
    assert {w.dtype for w in written} == {frames[0].dtype}
    for i, frame in enumerate(frames):
        np.testing.assert_array_equal(written[i * k], frame)  # input frames pass through at their depth
    if times is not None:
        t = clip["times"]
        expected = [t[i] + (t[i + 1] - t[i]) * Fraction(j, k) for i in range(n - 1) for j in range(k)] + [t[-1]]
        # Matroska stores milliseconds: the writer rounds each time to the nearest tick (<= 1/2),
        # and the reader puts a time within one tick of the nominal-rate grid onto the grid (<= 1).
        tick = max(clip["time_base"], Fraction(1, 1000))
        assert all(abs(a - b) <= Fraction(3, 2) * tick for a, b in zip(times, expected)), (times, expected)
