"""The streaming interpolation pipeline: decode -> pad -> infer -> crop -> encode.

Three threads joined by two bounded queues::

    decode thread --[decoded: QUEUE_SIZE frames]--> inference (caller's thread)
                  --[encoded: QUEUE_SIZE frames]--> encode thread

The bounded queues are the memory limit: when the encoder or the model is slower than the
decoder, the faster side blocks, so at most about ``2 * QUEUE_SIZE`` frames (plus the in-between
frames of ``runner.pairs_per_call`` pairs) exist at any time, however long the video. A runner
that runs several frames in parallel (OpenVINO with ``requests > 1``) is handed that many
consecutive pairs per call, so the pairs overlap; output order is unchanged. Inference runs in the caller's
thread, so backends that keep thread-local state (CUDA streams, ORT sessions) see one thread.

A model with context frames (`Runner.context` k > 1, e.g. DBVFI's I_-1 and I_2) is fed sliding
windows of 2k frames: pair (i, i+1) is planned once frame i+k has been decoded, and a window
position before the clip's start, after its end, or across a scene cut repeats the nearest frame of
the pair's own shot (`window_indices`), so a window never mixes two shots. At most 2k decoded frames
are held for the windows.

Frames keep their depth (uint8 or uint16, `vfi.core.frames`) and alpha from reader to writer: the
model sees float RGB in [0, 1], its output is rounded back to the input's depth, and the alpha of
an in-between frame is the linear blend ``(1 - t) * a0 + t * a1`` of its pair's alpha. Every output
frame is written with its presentation time (`vfi.runtime.schedule`), so a variable-rate input
keeps its timing. A model output holding NaN or Inf stops the run with an `InputError` naming the
model; nothing is written.

An error in any thread stops the others and is re-raised in the caller as the original
exception; the output is written to a temporary name and renamed only on success
(`vfi.core.atomic`), so a failed run leaves nothing behind.

    summary = interpolate("in.mp4", "out.mp4", runner, factor=2)
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Optional

import numpy as np

from vfi.core.atomic import AtomicOutput
from vfi.core.errors import InputError
from vfi.core.frames import FRAME_MAX, to_hwc, to_model_input
from vfi.core.graph_spec import context_offsets
from vfi.core.padding import crop_to, pad_to_multiple, padded_size
from vfi.runtime.defaults import DEFAULT_CRF, DEFAULT_CUT_THRESHOLD
from vfi.runtime.media import check_output, open_reader, open_writer
from vfi.runtime.scene import classify_pair, nearer_frame
from vfi.runtime.schedule import FactorSchedule, Schedule, TimedFrame, make_schedule
from vfi.runtime.synthesis import check_fixed_mode_factor, synthesize_pairs


@dataclass
class _Job:
    """One pair's in-between frames, waiting for the model: padded inputs and the fractions."""

    img0: np.ndarray
    img1: np.ndarray
    steps: list[float]
    context: tuple = ()
    times: tuple = ()  # output time (seconds) of each step
    alpha: tuple | None = None  # the pair's two alpha planes [H, W] (RGBA input), else None
    dtype: np.dtype = np.dtype(np.uint8)  # the input frames' dtype, which the outputs get


#: capacity (frames) of each of the two queues
QUEUE_SIZE = 8
#: frame rate assumed for a frame-folder input when none is given (frames per second)
DEFAULT_FOLDER_FPS = Fraction(25)
#: how often (seconds) a blocked thread checks whether another one failed
_POLL_S = 0.05

#: progress callback: (output frames written so far, total output frames or None when unknown)
ProgressFn = Callable[[int, Optional[int]], None]

_END = object()  # end-of-stream marker in both queues


def window_indices(pair: int, context: int, last: int, cuts: Callable[[int], bool]) -> list[int]:
    """Input frame indices of the context frames of pair (`pair`, `pair` + 1), in
    `vfi.core.graph_spec.context_offsets` order (nearest first).

    A position outside 0..`last`, or beyond a scene cut, is replaced by the nearest frame of the
    pair's own shot: walking outwards from the pair stops at the clip's ends and before a cut.

    Args:
        pair: index of the pair's first frame.
        context: frames on each side (the model's k).
        last: index of the last frame that exists (the clip's last once it has ended).
        cuts: ``cuts(j)`` is True when frames j and j + 1 lie in different shots.
    """
    indices = []
    for offset in context_offsets(context):
        if offset < 0:
            j = pair
            for _ in range(-offset):
                if j - 1 < 0 or cuts(j - 1):
                    break
                j -= 1
        else:
            j = pair + 1
            for _ in range(offset - 1):
                if j + 1 > last or cuts(j):
                    break
                j += 1
        indices.append(j)
    return indices


@dataclass
class Summary:
    """What one run did. Times are wall-clock seconds."""

    input_frames: int = 0
    output_frames: int = 0
    interpolated: int = 0  # frames made by the model
    duplicate_pairs: int = 0  # bit-identical input pairs (in-between frames copied, no model call)
    cut_pairs: int = 0  # pairs across a scene cut (in-between frames repeat the nearer input)
    copied: int = 0  # in-between frames made by copying (duplicates and cuts)
    output_fps: float = 0.0
    variable_rate: bool = False  # the input's frame times were not a constant rate (VFR or gaps)
    wall_s: float = 0.0
    prepare_s: float = 0.0  # one-off backend preparation (graph export or cache lookup, session)
    infer_s: float = 0.0  # inside Runner.infer
    other_s: float = 0.0  # the rest of the wall time: decode, pad, crop, encode waits, I/O

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class _Stopped(Exception):
    """Raised inside a thread that must stop because another one failed."""


class Pipeline:
    """One run over an open reader and writer (see `interpolate` for the usual entry point).

    Args:
        reader: yields RGB(A) uint8/uint16 [H, W, C] frames (or `TimedFrame`s from a ``frames()``
            method, which is preferred when present); has ``width``, ``height``, ``frame_count``.
        writer: has ``write(frame, time)`` (time in seconds) and ``close()``.
        runner: a loaded `Runner`.
        schedule: which output frames to make.
        scene_threshold: `scene.cut_score` above which a pair is a cut; 0 disables.
        batch: most in-between frames per `infer` call; None: all of a pair in one call.
        progress: called from the encode thread after each written frame.
        queue_size: capacity of each queue (frames).
        input_fps: frame rate (frames per second) of frames that come without times (a frame
            folder, or a video whose rate is overridden); default the reader's, else 25.

    Attributes:
        decoded, encoded: the two bounded queues.
    """

    def __init__(
        self,
        reader,
        writer,
        runner,
        schedule: Schedule,
        scene_threshold: float = DEFAULT_CUT_THRESHOLD,
        batch: int | None = None,
        progress: ProgressFn | None = None,
        queue_size: int = QUEUE_SIZE,
        input_fps: Fraction | None = None,
    ):
        if queue_size < 1:
            raise ValueError("queue_size must be >= 1: an unbounded queue would hold the whole video")
        self.reader, self.writer, self.runner, self.schedule = reader, writer, runner, schedule
        self.scene_threshold = scene_threshold
        self.batch = batch
        self.progress = progress
        self.decoded: queue.Queue = queue.Queue(maxsize=queue_size)
        self.encoded: queue.Queue = queue.Queue(maxsize=queue_size)
        self.summary = Summary()
        self._stop = threading.Event()
        self._errors: list[BaseException] = []
        self.input_fps = Fraction(input_fps or getattr(reader, "fps", None) or DEFAULT_FOLDER_FPS)
        self._timed = input_fps is None and callable(getattr(reader, "frames", None))
        self._total = schedule.count(reader.frame_count, self.input_fps) if reader.frame_count else None
        #: consecutive pairs handed to the runner in one call (`Runner.pairs_per_call`)
        self.pairs_per_call = max(1, int(getattr(runner, "pairs_per_call", 1)))
        self._pending: list = []  # frames to emit and `_Job`s, in output order
        self._jobs = 0
        self._threads: list[threading.Thread] = []

    # -- thread plumbing --------------------------------------------------------------------------

    def _put(self, q: queue.Queue, item) -> None:
        while True:
            if self._stop.is_set():
                raise _Stopped
            try:
                q.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def _get(self, q: queue.Queue):
        while True:
            try:
                return q.get(timeout=_POLL_S)
            except queue.Empty:
                if self._stop.is_set():
                    raise _Stopped from None

    def _guarded(self, work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except _Stopped:
                pass
            except BaseException as exc:  # any failure is handed to the caller's thread as is
                self._errors.append(exc)
                self._stop.set()

        return run

    # -- the three stages -------------------------------------------------------------------------

    def _timed_frames(self):
        """The reader's frames with times: its own (``frames()``), or ``index / input_fps``."""
        if self._timed:
            yield from self.reader.frames()
            return
        step = 1 / self.input_fps
        for index, image in enumerate(self.reader):
            yield TimedFrame(image, index * step, step)

    def _decode(self) -> None:
        multiple = self.runner.pad_multiple
        for frame in self._timed_frames():
            # Conversion and padding happen here, off the inference thread.
            self._put(self.decoded, (frame, pad_to_multiple(to_model_input(frame.image), multiple)))
        self._put(self.decoded, _END)

    def _encode(self) -> None:
        written = 0
        while True:
            item = self._get(self.encoded)
            if item is _END:
                break
            self.writer.write(*item)
            written += 1
            if self.progress is not None:
                self.progress(written, self._total)
        if self._stop.is_set():
            raise _Stopped  # interrupted at the end of the stream: do not finish the output
        self.writer.close()

    def _infer_all(self) -> None:
        k = max(1, int(getattr(self.runner, "context", 1)))
        # The frames pair i's window needs, i-(k-1) .. i+k (at most 2k), and each pair's kind
        # ("cut", "duplicate", "motion"), classified once when its second frame arrives.
        frames: deque = deque()
        kinds: dict[int, str] = {}
        index = -1
        while True:
            item = self._get(self.decoded)
            if item is _END:
                break
            index += 1
            if frames:
                # A change of frame size or format inside the stream is a cut by definition.
                kinds[index - 1] = (
                    "cut" if item[0].discontinuity else classify_pair(frames[-1][1][0].image, item[0].image, self.scene_threshold)
                )
            frames.append((index, item))
            if index - k >= 0:  # pair index-k now has its whole right-hand context
                self._plan_window(index - k, k, index, frames, kinds)
        for pair in range(max(0, index - k + 1), index):  # the last pairs: their windows end at the clip's end
            self._plan_window(pair, k, index, frames, kinds)
        self._flush()
        count = index + 1
        self.summary.input_frames = count
        self.summary.variable_rate = bool(getattr(self.reader, "variable_rate", False)) and self._timed
        if count < 2:
            raise InputError(f"{self.reader.path}: has {count} frame; interpolation needs at least two")
        last = frames[-1][1][0]
        # The last frame is shown for its own duration, else as long as the interval before it.
        duration = last.duration or (last.time - frames[-2][1][0].time if len(frames) > 1 else 1 / self.input_fps)
        for when in self.schedule.tail(last.time, last.time + duration):
            self._emit(last.image, when)
        self._put(self.encoded, _END)

    def _plan_window(self, pair: int, k: int, last: int, frames: deque, kinds: dict[int, str]) -> None:
        """Plan pair `pair` with its context window, then forget what later pairs no longer need."""
        by_index = dict(frames)
        context = ()
        if k > 1:
            indices = window_indices(pair, k, last, lambda j: kinds.get(j) == "cut")
            context = tuple(by_index[j][1] for j in indices)
        self._plan_pair(pair, by_index[pair], by_index[pair + 1], kinds[pair], context)
        keep = pair + 1 - (k - 1)  # the next pair's first context frame
        while frames and frames[0][0] < keep and len(frames) > 1:
            frames.popleft()
        for j in [j for j in kinds if j < keep - 1]:
            del kinds[j]

    def _emit(self, frame: np.ndarray, when: Fraction) -> None:
        self._put(self.encoded, (frame, when))
        self.summary.output_frames += 1

    def _plan_pair(self, index: int, first, second, kind: str, context: tuple = ()) -> None:
        """Queue what pair `index` emits: frames to copy, or a model job (run by `_flush`).

        `kind` is the pair's `classify_pair` result; `context` its padded context frames."""
        outputs = self.schedule.pair_outputs(index, first[0].time, second[0].time)
        if outputs and outputs[0][0] == 0.0:
            self._pending.append((first[0].image, outputs[0][1]))  # the input frame itself, bit-exact
        between = [(t, when) for t, when in outputs if t > 0.0]
        if between:
            if kind == "duplicate":
                self.summary.duplicate_pairs += 1
                self.summary.copied += len(between)
                self._pending.extend((first[0].image, when) for _, when in between)
            elif kind == "cut":
                # Morphing two shots into each other looks worse than a repeated frame.
                self.summary.cut_pairs += 1
                self.summary.copied += len(between)
                self._pending.extend(((first, second)[nearer_frame(t)][0].image, when) for t, when in between)
            else:
                images = (first[0].image, second[0].image)
                alpha = tuple(image[..., 3] for image in images) if images[0].shape[2] == 4 else None
                steps, times = [t for t, _ in between], tuple(when for _, when in between)
                self._pending.append(_Job(first[1], second[1], steps, context, times, alpha, images[0].dtype))
                self._jobs += 1
        if self._jobs >= self.pairs_per_call or not self._jobs:
            self._flush()

    def _flush(self) -> None:
        """Run the pending model jobs in one call, then emit everything pending in order."""
        jobs = [item for item in self._pending if isinstance(item, _Job)]
        if jobs:
            outputs = iter(synthesize_pairs(self.runner, [(j.img0, j.img1, j.steps, j.context) for j in jobs], self.batch))
        for item in self._pending:
            if not isinstance(item, _Job):
                self._emit(*item)
                continue
            out = crop_to(next(outputs), self.reader.height, self.reader.width)
            self._check_finite(out)
            self.summary.interpolated += len(out)
            dtype = item.dtype
            for frame, t, when in zip(out, item.steps, item.times):
                image = to_hwc(frame, dtype)
                if item.alpha is not None:
                    blend = (1.0 - t) * item.alpha[0].astype(np.float32) + t * item.alpha[1].astype(np.float32)
                    alpha = np.clip(np.rint(blend), 0, FRAME_MAX[dtype]).astype(dtype)
                    image = np.ascontiguousarray(np.concatenate([image, alpha[..., None]], axis=2))
                self._emit(image, when)
        self._pending, self._jobs = [], 0

    def _check_finite(self, out: np.ndarray) -> None:
        """Refuse a model output with NaN or Inf (it would be written as black frames)."""
        if not np.isfinite(out).all():
            card = getattr(self.runner, "card", None)
            name = getattr(card, "variant", None) or getattr(self.runner, "name", "the model")
            raise InputError(
                f"model {name} produced NaN or Inf values in an interpolated frame (on backend "
                f"{getattr(self.runner, 'name', '?')}); nothing was written. Try --precision fp32 or another backend"
            )

    # -- run --------------------------------------------------------------------------------------

    def _join(self, threads: list[threading.Thread]) -> None:
        """Wait for the workers. Interrupted while waiting (a signal in the main thread), stop them
        and wait a bounded time: a thread inside the encoder's final flush cannot stop early, and
        it is a daemon, so the process can still exit. `encoder_running` then says whether the
        writer may be aborted."""
        try:
            for thread in threads:
                thread.join()
        except BaseException:
            self._stop.set()
            for thread in threads:
                thread.join(timeout=1.0)
            raise

    @property
    def encoder_running(self) -> bool:
        """Whether the encode thread still runs (after an interrupted `run`)."""
        return any(t.is_alive() and t.name == "vfi-encode" for t in self._threads)

    def run(self) -> Summary:
        """Process the whole input; returns the summary or raises the first error of any thread."""
        start = time.perf_counter()
        # One-off backend work (graph export, engine build) for the padded size, outside `infer`.
        self.runner.prepare(*padded_size(self.reader.height, self.reader.width, self.runner.pad_multiple))
        self.summary.prepare_s = time.perf_counter() - start
        timings_before = self.runner.timings.mark()
        threads = [
            threading.Thread(target=self._guarded(self._decode), name="vfi-decode", daemon=True),
            threading.Thread(target=self._guarded(self._encode), name="vfi-encode", daemon=True),
        ]
        self._threads = threads
        for thread in threads:
            thread.start()
        try:
            self._infer_all()
        except _Stopped:
            pass  # a worker thread failed; its own exception is raised below
        except BaseException:
            self._stop.set()
            raise
        finally:
            # Normal end: the encoder drains the queue and closes the writer. After a failure the
            # stop flag makes both workers return within one poll interval.
            self._join(threads)
        if self._errors:
            raise self._errors[0]
        self.summary.wall_s = time.perf_counter() - start
        self.summary.infer_s = float(self.runner.timings.since(timings_before)[1])
        self.summary.other_s = max(0.0, self.summary.wall_s - self.summary.infer_s - self.summary.prepare_s)
        return self.summary


def interpolate(
    input_path: str | Path,
    output_path: str | Path,
    runner,
    factor: int | None = None,
    fps: float | None = None,
    input_fps: float | None = None,
    scene_threshold: float = DEFAULT_CUT_THRESHOLD,
    crf: int = DEFAULT_CRF,
    batch: int | None = None,
    progress: ProgressFn | None = None,
    queue_size: int = QUEUE_SIZE,
    codec: str | None = None,
) -> Summary:
    """Interpolate a video file or frame folder into a video file or frame folder.

    Args:
        input_path: a video file or a folder of PNG/JPEG frames.
        output_path: a video file (suffix picks the codec, see `vfi.runtime.video_io`) or a folder
            (numbered PNG frames). An existing file is overwritten; missing parent folders are
            created (and removed again if the run fails).
        runner: a `vfi.runtime.runner.Runner` (loaded here if it is not yet; the caller closes it).
        factor: output frames per input frame interval (integer >= 2); default 2 when `fps` is None.
        fps: retime to this output frame rate (frames per second) instead; excludes `factor`.
        input_fps: frame rate of the input (frames per second); required for nothing, used for
            frame folders (default 25). Given for a video, it replaces the video's own timestamps
            with a constant rate.
        scene_threshold: scene-cut threshold (see `vfi.runtime.scene`); 0 disables cut detection.
        crf: H.264 quality for .mp4/.mov/.m4v outputs (0-51, lower is better).
        batch: most frames per `infer` call (None: all in-between frames of a pair at once).
        progress: ``progress(frames_written, total_or_None)``, called from the encode thread.
        queue_size: capacity (frames) of each of the pipeline's two queues.
        codec: video output codec, "h264", "hevc" (10-bit) or "ffv1"; None: by the suffix.

    Returns:
        the run's `Summary`.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    if factor is not None and (int(factor) != factor or factor < 2):
        raise InputError(f"factor must be an integer >= 2, got {factor}", "factor")
    if batch is not None and batch < 1:
        raise InputError(f"batch must be >= 1, got {batch}", "batch")
    if scene_threshold < 0:
        raise InputError(f"scene_threshold must be >= 0 (0 disables), got {scene_threshold}", "scene_threshold")
    reader = open_reader(input_path)
    try:
        is_folder = check_output(output_path, input_path, codec)
        override = Fraction(input_fps).limit_denominator(1_000_000) if input_fps else None
        source_fps = override or reader.fps or DEFAULT_FOLDER_FPS
        timed = override is None and callable(getattr(reader, "frames", None))
        origin = Fraction(reader.start_time) if timed else Fraction(0)
        schedule = make_schedule(factor, fps, source_fps, origin)
        runner.load()
        if runner.timestep_mode == "fixed":
            if not isinstance(schedule, FactorSchedule):
                raise InputError(
                    f"model {runner.card.variant} predicts only t = 0.5 and cannot retime to a frame rate (fps); use "
                    "factor 2, 4 or 8",
                    "fps",
                    "factor",
                )
            check_fixed_mode_factor(schedule.factor, runner.card.variant)
        out_fps = schedule.output_fps(source_fps)
        audio_from = input_path if getattr(reader, "audio_codec", None) else None
        time_base = schedule.time_base(reader.time_base if timed else None, source_fps, origin)
        with AtomicOutput(output_path, is_folder) as target:
            writer = open_writer(
                target.temp,
                is_folder,
                output_path.suffix.lower(),
                out_fps,
                reader.width,
                reader.height,
                crf,
                audio_from,
                codec=codec,
                bits=getattr(reader, "bits", 8),
                alpha=getattr(reader, "has_alpha", False),
                color=getattr(reader, "color", None),
                display_matrix=getattr(reader, "display_matrix", None),
                time_base=time_base,
            )
            pipeline = None
            try:
                pipeline = Pipeline(reader, writer, runner, schedule, scene_threshold, batch, progress, queue_size, override)
                summary = pipeline.run()
            except BaseException:
                # An encoder still inside its final flush owns the writer; AtomicOutput removes
                # the temporary output either way.
                if pipeline is None or not pipeline.encoder_running:
                    writer.abort()
                raise
    finally:
        reader.close()
    summary.output_fps = float(out_fps)
    return summary
