"""Which output frames exist, when each is shown, and where it lies between two input frames.

Every input frame has a presentation time (seconds, an exact `Fraction`): a video's own
timestamps (pts x time base, see `vfi.runtime.video_io.VideoReader`), or ``index / fps`` for a
frame folder. An output frame is described by the pair it belongs to, a fraction ``t`` in [0, 1)
of that pair's real interval, and its own output time: ``t == 0`` means "input frame ``i`` passes
through unchanged"; anything else is synthesised between frames ``i`` and ``i + 1``.

Two schedules:

- `FactorSchedule` (``factor`` k): every input frame, plus ``k - 1`` frames at ``t = j / k``
  between each pair, shown at ``t_i + j / k * (t_{i+1} - t_i)``: a variable-rate input keeps its
  timing. ``(N - 1) * k + 1`` output frames for ``N`` input frames.
- `RetimeSchedule` (``fps`` F): output frame ``n`` is shown at ``t_0 + n / F``; it belongs to the
  pair whose times bracket it, at the fraction of that pair's real interval. The outputs cover the
  input's real duration, from the first frame to the end of the last (its time plus its duration);
  outputs after the last frame's time repeat it. An output within `PASS_THROUGH_S` of an input
  frame passes that frame through.

The schedule is consumed pair by pair: a pair's outputs depend only on the times of its two frames
(and the first frame's), so the pipeline needs neither the frame count nor later timestamps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from vfi.core.errors import InputError

#: An output this close (seconds) to an input frame's time is that input frame (no model call).
PASS_THROUGH_S = Fraction(1, 1_000_000)
#: largest time-base denominator a container is asked to hold (int32 in FFmpeg)
MAX_TIME_BASE_DEN = 2**31 - 1


@dataclass
class TimedFrame:
    """A decoded frame with its presentation time.

    Attributes:
        image: RGB(A) uint8 or uint16 [H, W, C] (see `vfi.core.frames`).
        time: presentation time (seconds).
        duration: how long it is shown (seconds), or None when the source does not say.
        discontinuity: the stream changed (frame size or pixel format) at this frame, so the pair
            that ends here is treated as a scene cut.
    """

    image: np.ndarray
    time: Fraction
    duration: Fraction | None = None
    discontinuity: bool = False


class Schedule:
    """Base class: the output frames attached to each input pair."""

    def pair_outputs(self, index: int, start: Fraction, stop: Fraction) -> list[tuple[float, Fraction]]:
        """(``t``, output time in seconds) of the outputs between input frames `index` (shown at
        `start`) and `index + 1` (at `stop`), ascending; ``t == 0.0`` is input frame `index`."""
        raise NotImplementedError

    def tail(self, last: Fraction, end: Fraction) -> list[Fraction]:
        """Output times (seconds) at which the last input frame (shown at `last`, until `end`) is
        itself an output frame."""
        raise NotImplementedError

    def pair_steps(self, index: int, fps: Fraction = Fraction(1)) -> list[float]:
        """Fractions ``t`` of pair `index` of a constant-rate clip at `fps` starting at time 0."""
        return [t for t, _ in self.pair_outputs(index, Fraction(index) / fps, Fraction(index + 1) / fps)]

    def count(self, n_frames: int, fps: Fraction = Fraction(1)) -> int:
        """Number of output frames of a constant-rate clip of `n_frames` at `fps` (each frame shown
        for ``1 / fps``); a variable-rate input may differ."""
        fps = Fraction(fps)
        if n_frames < 1:
            return 0
        pairs = sum(len(self.pair_steps(i, fps)) for i in range(n_frames - 1))
        return pairs + len(self.tail(Fraction(n_frames - 1) / fps, Fraction(n_frames) / fps))

    def output_fps(self, input_fps: Fraction) -> Fraction:
        """Nominal frame rate of the output (frames per second)."""
        raise NotImplementedError

    def time_base(self, input_time_base: Fraction | None, input_fps: Fraction, origin: Fraction = Fraction(0)) -> Fraction:
        """A time base (seconds per tick) in which every output time is a whole number of ticks."""
        raise NotImplementedError


class FactorSchedule(Schedule):
    """``factor - 1`` evenly spaced frames between every pair, at equal fractions of its real interval.

    Args:
        factor: integer >= 2; output frame rate is ``input fps * factor``.
    """

    def __init__(self, factor: int):
        if int(factor) != factor or factor < 2:
            raise InputError(f"factor must be an integer >= 2, got {factor}", "factor")
        self.factor = int(factor)

    def pair_outputs(self, index: int, start: Fraction, stop: Fraction) -> list[tuple[float, Fraction]]:
        return [(j / self.factor, start + (stop - start) * Fraction(j, self.factor)) for j in range(self.factor)]

    def tail(self, last: Fraction, end: Fraction) -> list[Fraction]:
        return [last]

    def emits_last(self, n_frames: int) -> bool:
        return n_frames >= 1

    def count(self, n_frames: int, fps: Fraction = Fraction(1)) -> int:
        return (n_frames - 1) * self.factor + 1 if n_frames >= 1 else 0

    def output_fps(self, input_fps: Fraction) -> Fraction:
        return Fraction(input_fps) * self.factor

    def time_base(self, input_time_base: Fraction | None, input_fps: Fraction, origin: Fraction = Fraction(0)) -> Fraction:
        # The input's own ticks (its timestamps) and its nominal frame interval (the exact times a
        # constant-rate input is snapped to), divided by k for the in-between frames.
        return _common_time_base([input_time_base, 1 / Fraction(input_fps), origin], self.factor)


class RetimeSchedule(Schedule):
    """Resample the clip to a new frame rate (``fps``), following the input's real timestamps.

    Args:
        input_fps: nominal frame rate of the input (frames per second); used for frame counts.
        output_fps: requested output rate (frames per second), > 0.
        origin: time (seconds) of the first input frame; output frame n is shown at
            ``origin + n / output_fps``.
    """

    def __init__(self, input_fps: Fraction | float, output_fps: Fraction | float, origin: Fraction = Fraction(0)):
        self.input_fps = _as_fraction(input_fps, "input_fps")
        self.fps = _as_fraction(output_fps, "fps")
        self.origin = Fraction(origin)

    def _times(self, start: Fraction, stop: Fraction) -> list[Fraction]:
        """Output times in [start - PASS_THROUGH_S, stop - PASS_THROUGH_S): neighbouring ranges
        tile the time line, so every output time belongs to exactly one pair (or the tail)."""
        first = max(0, math.ceil((start - PASS_THROUGH_S - self.origin) * self.fps))
        times = []
        n = first
        while True:
            time = self.origin + n / self.fps
            if time >= stop - PASS_THROUGH_S:
                return times
            times.append(time)
            n += 1

    def pair_outputs(self, index: int, start: Fraction, stop: Fraction) -> list[tuple[float, Fraction]]:
        if stop <= start:
            return []
        outputs = []
        for time in self._times(start, stop):
            offset = time - start
            outputs.append((0.0 if offset < PASS_THROUGH_S else float(offset / (stop - start)), time))
        return outputs

    def tail(self, last: Fraction, end: Fraction) -> list[Fraction]:
        return self._times(last, max(end, last + PASS_THROUGH_S * 2))

    def output_fps(self, input_fps: Fraction) -> Fraction:
        return self.fps

    def time_base(self, input_time_base: Fraction | None, input_fps: Fraction, origin: Fraction = Fraction(0)) -> Fraction:
        return _common_time_base([1 / self.fps, origin], 1)


def _common_time_base(values: list, divide: int) -> Fraction:
    """The coarsest 1/N-style tick (a Fraction) of which every value is a whole multiple, divided
    by `divide`; falls back to microseconds when that would not fit a container's time base."""
    base = None
    for value in values:
        if not value:
            continue
        value = Fraction(value)
        base = (
            value
            if base is None
            else Fraction(math.gcd(base.numerator, value.numerator), math.lcm(base.denominator, value.denominator))
        )
    if base is None:
        return Fraction(1, 1000 * divide)
    base /= divide
    if base.denominator > MAX_TIME_BASE_DEN or base.numerator > MAX_TIME_BASE_DEN:
        return Fraction(1, 1_000_000)
    return base


def _as_fraction(value: Fraction | float, name: str) -> Fraction:
    from vfi.core.options import positive

    if value is None:
        raise InputError(f"{name} must be a finite number > 0, got None", name)
    positive(value, name)  # the one rule for rates (`vfi.core.options`)
    if isinstance(value, Fraction):
        return value
    # 29.97 -> 2997/100; 1/1001-style NTSC rates come in as Fractions from the container.
    return Fraction(value).limit_denominator(1_000_000)


def make_schedule(factor: int | None, fps: float | None, input_fps: Fraction | float, origin: Fraction = Fraction(0)) -> Schedule:
    """The schedule for the CLI options: exactly one of `factor` and `fps` may be given.

    `factor` and `fps` together are refused: they would say two different things about the output
    rate. With neither, the factor defaults to 2. `origin` is the first input frame's time.
    """
    if factor is not None and fps is not None:
        raise InputError("give either factor or fps, not both (fps sets the output rate by itself)", "factor", "fps")
    if fps is not None:
        return RetimeSchedule(input_fps, fps, origin)
    return FactorSchedule(2 if factor is None else factor)
