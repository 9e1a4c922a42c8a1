"""Running statistics of a runner's calls: constant memory however long the video is."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class RunningStats:
    """Count, total, mean, min, max and last of a stream of durations (seconds).

    `Runner.timings` keeps one of these; callers that time a stretch of work read `total` before
    and after it (`since`).
    """

    count: int = 0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = 0.0
    last: float = math.nan

    def add(self, seconds: float) -> None:
        """Record one call that took `seconds`."""
        self.count += 1
        self.total += seconds
        self.minimum = min(self.minimum, seconds)
        self.maximum = max(self.maximum, seconds)
        self.last = seconds

    @property
    def mean(self) -> float:
        """Mean seconds per call (nan before the first call)."""
        return self.total / self.count if self.count else math.nan

    def __len__(self) -> int:
        return self.count

    def mark(self) -> tuple[int, float]:
        """A point to measure from with `since`."""
        return self.count, self.total

    def since(self, mark: tuple[int, float]) -> tuple[int, float]:
        """(calls, seconds) recorded after `mark`."""
        return self.count - mark[0], self.total - mark[1]
