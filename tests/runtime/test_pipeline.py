"""The streaming pipeline driven by the averaging test-double runner (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from runtime_doubles import AveragingRunner

from vfi.core.errors import InputError
from vfi.core.frames import write_png_folder
from vfi.core.synthetic_scene import make_scene
from vfi.runtime.frame_folder_io import FrameFolderReader
from vfi.runtime.pipeline import Pipeline, interpolate
from vfi.runtime.schedule import FactorSchedule


def _load(folder):
    return [np.asarray(Image.open(p).convert("RGB")) for p in sorted(folder.iterdir())]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """5 frames of 45x70 synthetic motion (odd sizes exercise padding) as a PNG folder."""
    folder = tmp_path_factory.mktemp("clip") / "in"
    write_png_folder(make_scene(45, 70, seed=1).render_clip(range(5)), folder)
    return folder


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_counts_pass_through_and_blend(clip, tmp_path, factor):
    runner = AveragingRunner(pad_multiple=8)
    summary = interpolate(clip, tmp_path / "out", runner, factor=factor)
    inputs, outputs = _load(clip), _load(tmp_path / "out")
    assert len(outputs) == summary.output_frames == (len(inputs) - 1) * factor + 1
    assert summary.interpolated == (len(inputs) - 1) * (factor - 1)
    for i, frame in enumerate(inputs):
        np.testing.assert_array_equal(outputs[i * factor], frame)  # bit-exact pass-through
    # One infer call per pair with all in-between frames batched.
    assert runner.calls == len(inputs) - 1 and set(runner.batch_sizes) == {factor - 1}
    expected = np.rint((inputs[0].astype(np.float32) + inputs[1]) / 2) if factor == 2 else None
    if expected is not None:
        assert np.abs(outputs[1].astype(np.float32) - expected).max() <= 1


def test_scene_cut_repeats_nearer_frame(tmp_path):
    frames = make_scene(48, 64, seed=1).render_clip([0, 1]) + make_scene(48, 64, seed=2).render_clip([0, 1])
    write_png_folder(frames, tmp_path / "in")
    runner = AveragingRunner()
    summary = interpolate(tmp_path / "in", tmp_path / "out", runner, factor=4)
    outputs = _load(tmp_path / "out")
    assert summary.cut_pairs == 1 and runner.calls == 2
    # Pair 1 -> 2 is the cut: t = 1/4 repeats frame 1, t = 2/4 and 3/4 repeat frame 2.
    np.testing.assert_array_equal(outputs[5], frames[1])
    np.testing.assert_array_equal(outputs[6], frames[2])
    np.testing.assert_array_equal(outputs[7], frames[2])


def test_duplicates_are_copied_without_model_call(tmp_path):
    frame = make_scene(48, 64, seed=3).render(0)
    write_png_folder([frame, frame, frame], tmp_path / "in")
    runner = AveragingRunner()
    summary = interpolate(tmp_path / "in", tmp_path / "out", runner, factor=3)
    assert runner.calls == 0
    assert summary.duplicate_pairs == 2 and summary.copied == 4
    assert all(np.array_equal(out, frame) for out in _load(tmp_path / "out"))


def test_retime_count(clip, tmp_path):
    # 5 frames at 25 fps last 0.2 s (the last one is shown for 0.04 s too): 0.2 * 60 = 12 outputs,
    # the last two (at 0.1667 s and 0.1833 s) after the last frame's time repeat it.
    summary = interpolate(clip, tmp_path / "out", AveragingRunner(), fps=60, input_fps=25)
    outputs = _load(tmp_path / "out")
    assert summary.output_frames == len(outputs) == 12
    np.testing.assert_array_equal(outputs[-1], _load(clip)[-1])
    np.testing.assert_array_equal(outputs[-2], _load(clip)[-1])


def test_factor_and_fps_refused_before_output(clip, tmp_path):
    with pytest.raises(InputError):
        interpolate(clip, tmp_path / "out", AveragingRunner(), factor=2, fps=60)
    assert not (tmp_path / "out").exists()


def test_worker_error_propagates_and_leaves_nothing(clip, tmp_path):
    class BrokenWriter(Exception):
        pass

    import vfi.runtime.frame_folder_io as ffio

    original = ffio.FrameFolderWriter.write

    def write(self, frame, time=None):
        if self.frames_written == 3:
            raise BrokenWriter("disk full (simulated)")
        original(self, frame, time)

    ffio.FrameFolderWriter.write = write
    try:
        with pytest.raises(BrokenWriter, match="disk full"):
            interpolate(clip, tmp_path / "a" / "b" / "out", AveragingRunner(), factor=2)
    finally:
        ffio.FrameFolderWriter.write = original
    assert list(tmp_path.iterdir()) == []  # neither the temp folder nor the created parents remain


def test_inference_error_propagates_and_leaves_nothing(clip, tmp_path):
    with pytest.raises(RuntimeError, match="on purpose"):
        interpolate(clip, tmp_path / "out.mkv", AveragingRunner(fail_after=2), factor=2)
    assert list(tmp_path.iterdir()) == []


def test_decode_error_propagates(clip, tmp_path, monkeypatch):
    def broken(self):
        yield np.zeros((45, 70, 3), np.uint8)
        raise OSError("truncated file (simulated)")

    monkeypatch.setattr(FrameFolderReader, "__iter__", broken)
    with pytest.raises(OSError, match="truncated"):
        interpolate(clip, tmp_path / "out", AveragingRunner(), factor=2)
    assert list(tmp_path.iterdir()) == []


def test_existing_output_folder_of_frames_is_replaced(clip, tmp_path):
    out = tmp_path / "out"
    interpolate(clip, out, AveragingRunner(), factor=3)
    interpolate(clip, out, AveragingRunner(), factor=2)
    assert len(list(out.iterdir())) == 9
    (out / "mine.txt").write_text("not a frame")
    with pytest.raises(InputError, match="other than numbered"):
        interpolate(clip, out, AveragingRunner(), factor=2)


def test_queues_are_bounded(clip):
    class NullWriter:
        def write(self, frame, time=None):
            pass

        def close(self):
            pass

    reader = FrameFolderReader(clip)
    pipeline = Pipeline(reader, NullWriter(), AveragingRunner().load(), FactorSchedule(2), queue_size=3)
    assert pipeline.decoded.maxsize == 3 and pipeline.encoded.maxsize == 3
    with pytest.raises(ValueError, match="unbounded"):
        Pipeline(reader, NullWriter(), AveragingRunner().load(), FactorSchedule(2), queue_size=0)
    summary = pipeline.run()
    assert summary.output_frames == 9


def test_reader_is_consumed_lazily(clip):
    """With a writer that never finishes, the decoder stops after filling the bounded queues."""
    import threading

    pulled = []
    release = threading.Event()

    class CountingReader(FrameFolderReader):
        def __iter__(self):
            for _ in range(1000):  # a "long video"
                pulled.append(1)
                yield np.zeros((self.height, self.width, 3), np.uint8)

    class StuckWriter:
        def write(self, frame, time=None):
            release.wait()

        def close(self):
            pass

    reader = CountingReader(clip)
    pipeline = Pipeline(reader, StuckWriter(), AveragingRunner().load(), FactorSchedule(2), queue_size=2)
    thread = threading.Thread(target=pipeline.run, daemon=True)
    thread.start()
    import time

    time.sleep(0.5)
    # Both queues of 2 plus the frames in flight in each thread: far fewer than 1000.
    assert len(pulled) < 12
    pipeline._stop.set()
    release.set()
    thread.join(timeout=5)
    assert not thread.is_alive()


@pytest.mark.parametrize("pairs_per_call", [2, 3])
def test_consecutive_pairs_share_a_call_and_keep_their_order(tmp_path, pairs_per_call):
    # Moving frames, a duplicate, a cut, then moving again: model pairs, copies and the cut's
    # repeats interleave, and handing several pairs per call must not change one output frame.
    first, second = make_scene(48, 64, seed=1), make_scene(48, 64, seed=2)
    frames = first.render_clip([0, 1, 2, 2]) + second.render_clip([0, 1, 2])
    write_png_folder(frames, tmp_path / "in")
    one = AveragingRunner()
    reference = interpolate(tmp_path / "in", tmp_path / "one", one, factor=3)
    several = AveragingRunner()
    several.pairs_per_call = pairs_per_call
    summary = interpolate(tmp_path / "in", tmp_path / "several", several, factor=3)

    def counts(result):
        return {k: v for k, v in result.as_dict().items() if not k.endswith("_s")}

    assert counts(summary) == counts(reference)
    assert (summary.duplicate_pairs, summary.cut_pairs, summary.interpolated) == (1, 1, 8)
    for a, b in zip(_load(tmp_path / "one"), _load(tmp_path / "several"), strict=True):
        np.testing.assert_array_equal(a, b)
    # Four model pairs (two frames each): one call per pair alone, fewer calls when grouped.
    assert one.calls == 4 and set(one.batch_sizes) == {2}
    assert several.calls == -(-4 // pairs_per_call) and sum(several.batch_sizes) == 8
    assert max(several.batch_sizes) == 2 * pairs_per_call


# -- context windows (models that see k frames on each side) ----------------------------------------


def _window_of(window, frames) -> list[int]:
    """Input frame index of each frame of a recorded window (img0, img1, then the context)."""
    from vfi.core.frames import to_model_input

    inputs = [to_model_input(f)[0] for f in frames]
    h, w = inputs[0].shape[1:]
    return [int(np.argmin([np.abs(x[:, :h, :w] - f).max() for f in inputs])) for x in window]


@pytest.mark.parametrize(
    ("pair", "context", "last", "cut_after", "expected"),
    [
        (0, 2, 4, None, [0, 2]),  # the clip's start: I_-1 repeats I_0
        (1, 2, 4, None, [0, 3]),
        (3, 2, 4, None, [2, 4]),  # the clip's end: I_2 repeats I_1
        (1, 2, 4, 2, [0, 2]),  # a cut after frame 2: I_2 of pair 1 repeats frame 2
        (3, 2, 5, 2, [3, 5]),  # ... and I_-1 of pair 3 repeats frame 3
        (2, 3, 6, None, [1, 4, 0, 5]),  # septuplets, nearest first: I_-1, I_2, I_-2, I_3
        (1, 3, 6, 3, [0, 3, 0, 3]),
        (0, 3, 1, None, [0, 1, 0, 1]),  # a two-frame clip
    ],
)
def test_window_indices(pair, context, last, cut_after, expected):
    from vfi.runtime.pipeline import window_indices

    assert window_indices(pair, context, last, lambda j: j == cut_after) == expected


def test_context_windows_at_both_ends(tmp_path):
    frames = make_scene(40, 56, seed=4).render_clip(range(5))
    write_png_folder(frames, tmp_path / "in")
    runner = AveragingRunner(context=2)
    summary = interpolate(tmp_path / "in", tmp_path / "out", runner, factor=2)
    assert summary.output_frames == 9 == len(_load(tmp_path / "out"))
    # img0, img1, I_-1, I_2 of each pair, in order.
    assert [_window_of(w, frames) for w in runner.windows] == [[0, 1, 0, 2], [1, 2, 0, 3], [2, 3, 1, 4], [3, 4, 2, 4]]


def test_context_windows_never_cross_a_cut(tmp_path):
    frames = make_scene(40, 56, seed=1).render_clip(range(3)) + make_scene(40, 56, seed=2).render_clip(range(3))
    write_png_folder(frames, tmp_path / "in")
    runner = AveragingRunner(context=2)
    summary = interpolate(tmp_path / "in", tmp_path / "out", runner, factor=2)
    assert summary.cut_pairs == 1 and summary.output_frames == 11
    assert [_window_of(w, frames) for w in runner.windows] == [[0, 1, 0, 2], [1, 2, 0, 2], [3, 4, 3, 5], [4, 5, 3, 5]]


def test_context_windows_of_a_two_frame_clip_and_batched_pairs(tmp_path):
    frames = make_scene(40, 56, seed=5).render_clip(range(2))
    write_png_folder(frames, tmp_path / "in")
    runner = AveragingRunner(context=3)
    interpolate(tmp_path / "in", tmp_path / "out", runner, factor=3)
    assert [_window_of(w, frames) for w in runner.windows] == [[0, 1, 0, 1, 0, 1]] * 2
    # Several pairs in one call (pairs_per_call) keep each pair's own window.
    frames = make_scene(40, 56, seed=6).render_clip(range(4))
    write_png_folder(frames, tmp_path / "in4")
    runner = AveragingRunner(context=2)
    runner.pairs_per_call = 3
    interpolate(tmp_path / "in4", tmp_path / "out4", runner, factor=2, batch=2)
    assert [_window_of(w, frames) for w in runner.windows] == [[0, 1, 0, 2], [1, 2, 0, 3], [2, 3, 1, 3]]


def test_context_windows_hold_at_most_2k_decoded_frames(tmp_path, monkeypatch):
    """The window buffer never grows past 2k frames, however long the clip."""
    import vfi.runtime.pipeline as pipeline_module

    sizes = []
    real = pipeline_module.Pipeline._plan_window

    def spy(self, pair, k, last, frames, kinds):
        sizes.append(len(frames))
        return real(self, pair, k, last, frames, kinds)

    monkeypatch.setattr(pipeline_module.Pipeline, "_plan_window", spy)
    write_png_folder(make_scene(32, 40, seed=7).render_clip(range(9)), tmp_path / "in")
    interpolate(tmp_path / "in", tmp_path / "out", AveragingRunner(context=2), factor=2)
    assert len(sizes) == 8 and max(sizes) <= 4


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_from_the_model_is_one_error_and_nothing_written(clip, tmp_path, bad, recwarn):
    class NaNRunner(AveragingRunner):
        def _infer(self, img0, img1, t, context=()):
            out = super()._infer(img0, img1, t, context)
            out[:, :, 3, 5] = bad
            return out

    with pytest.raises(InputError, match=r"^model avg produced NaN or Inf values") as info:
        interpolate(clip, tmp_path / "out.mkv", NaNRunner(), factor=2)
    assert "\n" not in str(info.value) and "nothing was written" in str(info.value)
    assert list(tmp_path.iterdir()) == []
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]  # no numpy cast warning
