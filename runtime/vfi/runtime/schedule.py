"""Which output frames exist and where each lies between two input frames.

Input frame ``i`` sits at position ``i`` (in input frames). An output frame is described by the
pair it belongs to and a fraction ``t`` in [0, 1): ``t == 0`` means "input frame ``i`` passes
through unchanged"; anything else is synthesised between frames ``i`` and ``i + 1``.

Two schedules:

- `FactorSchedule` (``factor`` k): every input frame, plus ``k - 1`` frames at ``t = j / k``
  between each pair; ``(N - 1) * k + 1`` output frames for ``N`` input frames.
- `RetimeSchedule` (``fps`` F): output frame ``n`` is shown at time ``n / F`` seconds; it maps to
  input position ``n * fps_in / F``. Outputs cover the clip from the first to the last input frame.
  A position within `PASS_THROUGH_EPS` of an integer passes that input frame through.

The schedule is consumed pair by pair, so the pipeline never needs the frame count up front.
"""

from __future__ import annotations

import math
from fractions import Fraction

from vfi.core.errors import InputError

#: A fraction closer than this to 0 or 1 is treated as the input frame itself (no model call).
PASS_THROUGH_EPS = 1e-6


class Schedule:
    """Base class: the output frames attached to each input pair."""

    def pair_steps(self, index: int) -> list[float]:
        """Fractions ``t`` in [0, 1) of the outputs between input frames `index` and `index + 1`,
        ascending. ``0.0`` (if present) is input frame `index` itself."""
        raise NotImplementedError

    def emits_last(self, n_frames: int) -> bool:
        """Whether the last input frame (index ``n_frames - 1``) is itself an output frame."""
        raise NotImplementedError

    def count(self, n_frames: int) -> int:
        """Number of output frames for a clip of `n_frames` input frames."""
        return sum(len(self.pair_steps(i)) for i in range(n_frames - 1)) + int(self.emits_last(n_frames))

    def output_fps(self, input_fps: Fraction) -> Fraction:
        """Frame rate of the output (frames per second)."""
        raise NotImplementedError


class FactorSchedule(Schedule):
    """``factor - 1`` evenly spaced frames between every pair.

    Args:
        factor: integer >= 2; output frame rate is ``input fps * factor``.
    """

    def __init__(self, factor: int):
        if int(factor) != factor or factor < 2:
            raise InputError(f"factor must be an integer >= 2, got {factor}", "factor")
        self.factor = int(factor)

    def pair_steps(self, index: int) -> list[float]:
        return [j / self.factor for j in range(self.factor)]

    def emits_last(self, n_frames: int) -> bool:
        return n_frames >= 1

    def count(self, n_frames: int) -> int:
        return (n_frames - 1) * self.factor + 1 if n_frames >= 1 else 0

    def output_fps(self, input_fps: Fraction) -> Fraction:
        return Fraction(input_fps) * self.factor


class RetimeSchedule(Schedule):
    """Resample the clip to a new frame rate (``fps``).

    Args:
        input_fps: frame rate of the input (frames per second), exact where the container says so.
        output_fps: requested output rate (frames per second), > 0.
    """

    def __init__(self, input_fps: Fraction | float, output_fps: Fraction | float):
        self.input_fps = _as_fraction(input_fps, "input_fps")
        self.fps = _as_fraction(output_fps, "fps")
        # Input positions advanced per output frame; exact rational arithmetic keeps long clips
        # from drifting (30000/1001 fps sources are common).
        self.step = self.input_fps / self.fps

    def _position(self, n: int) -> tuple[int, float]:
        position = n * self.step
        index = math.floor(position)
        t = float(position - index)
        if t > 1.0 - PASS_THROUGH_EPS:
            return index + 1, 0.0
        if t < PASS_THROUGH_EPS:
            return index, 0.0
        return index, t

    def pair_steps(self, index: int) -> list[float]:
        first = max(0, math.floor((index - 1) / self.step))
        last = math.ceil((index + 1) / self.step) + 1
        steps = []
        for n in range(first, last + 1):
            pair, t = self._position(n)
            if pair == index:
                steps.append(t)
        return steps

    def emits_last(self, n_frames: int) -> bool:
        return 0.0 in self.pair_steps(n_frames - 1)

    def output_fps(self, input_fps: Fraction) -> Fraction:
        return self.fps


def _as_fraction(value: Fraction | float, name: str) -> Fraction:
    if not value or value <= 0 or not math.isfinite(float(value)):
        raise InputError(f"{name} must be a positive number, got {value}", name)
    if isinstance(value, Fraction):
        return value
    # 29.97 -> 2997/100; 1/1001-style NTSC rates come in as Fractions from the container.
    return Fraction(value).limit_denominator(1_000_000)


def make_schedule(factor: int | None, fps: float | None, input_fps: Fraction | float) -> Schedule:
    """The schedule for the CLI options: exactly one of `factor` and `fps` may be given.

    `factor` and `fps` together are refused: they would say two different things about the output
    rate. With neither, the factor defaults to 2.
    """
    if factor is not None and fps is not None:
        raise InputError("give either factor or fps, not both (fps sets the output rate by itself)", "factor", "fps")
    if fps is not None:
        return RetimeSchedule(input_fps, fps)
    return FactorSchedule(2 if factor is None else factor)
