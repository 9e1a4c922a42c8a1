"""Tolerances as data, and the one comparison every parity check uses.

A `Tolerance` bounds each element (``|actual - expected| <= atol + rtol * |expected|``) and,
optionally, the mean absolute error. `compare` measures both and, when they fail, says which
statistic failed and the tolerance that would have passed, so that a tolerance is changed by
evidence, not by guessing. NumPy is imported only when something is compared. Kernel parity tests (op vs float64 reference), export validation (graph
vs torch) and engine parity all go through it.

    result = compare(graph_out, torch_out, Tolerance(atol=1e-4, mean_atol=5e-6))
    if not result.passed:
        print(result.failure("frame"))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Tolerance:
    """Allowed difference from a reference.

    Attributes:
        atol: absolute bound per element (in the values' own units; frames: 0..1).
        rtol: relative bound per element, times ``|expected|``.
        mean_atol: bound on the mean absolute error over all elements; None: not checked.
    """

    atol: float
    rtol: float = 0.0
    mean_atol: float | None = None


@dataclass(frozen=True)
class Comparison:
    """What `compare` measured (float64 statistics over all elements)."""

    max_abs: float
    mean_abs: float
    max_rel: float
    #: how many elements are outside the per-element bound, of how many
    outside: int
    size: int
    #: smallest atol that passes with the given rtol, and smallest rtol that passes with the given atol
    needed_atol: float
    needed_rtol: float
    #: where the element furthest outside its bound lies, with its two values
    worst_index: tuple[int, ...]
    worst_actual: float
    worst_expected: float
    finite: bool
    tolerance: Tolerance

    @property
    def elements_pass(self) -> bool:
        return self.outside == 0

    @property
    def mean_passes(self) -> bool:
        return self.tolerance.mean_atol is None or self.mean_abs <= self.tolerance.mean_atol

    @property
    def passed(self) -> bool:
        return self.finite and self.elements_pass and self.mean_passes

    def failure(self, what: str = "") -> str:
        """One line saying what failed, where, and which tolerance would have passed ("" if passed)."""
        if self.passed:
            return ""
        tol = self.tolerance
        parts = []
        if not self.finite:
            parts.append("non-finite values where the reference is finite")
        if not self.elements_pass:
            parts.append(
                f"max abs err {self.max_abs:.3g}, max rel err {self.max_rel:.3g}; worst at {self.worst_index} "
                f"(actual {self.worst_actual:.6g}, expected {self.worst_expected:.6g}); {self.outside}/{self.size} "
                f"elements out of tolerance atol={tol.atol:g}, rtol={tol.rtol:g}; would pass with "
                f"atol={self.needed_atol:.3g} (rtol={tol.rtol:g}) or rtol={max(self.needed_rtol, 0.0):.3g} (atol={tol.atol:g})"
            )
        if not self.mean_passes:
            parts.append(f"mean abs err {self.mean_abs:.3g} > {tol.mean_atol:g} (would pass at {self.mean_abs:.3g})")
        return (f"{what}: " if what else "") + "; ".join(parts)

    def as_dict(self) -> dict:
        """JSON-ready figures (for sidecars and reports)."""
        return {
            "max_abs": self.max_abs,
            "mean_abs": self.mean_abs,
            "max_rel": self.max_rel,
            "tolerance": asdict(self.tolerance),
            "passed": self.passed,
        }


def as_numpy(x):
    """A torch tensor (any device, bfloat16 included) or array-like as a NumPy array."""
    import numpy as np

    if hasattr(x, "detach"):
        x = x.detach().cpu()
        if str(x.dtype) == "torch.bfloat16":
            x = x.float()
        x = x.numpy()
    return np.asarray(x)


def compare(actual, expected, tolerance: Tolerance) -> Comparison:
    """Measure `actual` against `expected` (torch or NumPy, same shape) under `tolerance`.

    NaNs must sit where the reference has them; other non-finite values in `actual` fail.

    Raises:
        ValueError: the shapes differ.
    """
    import numpy as np

    a = as_numpy(actual).astype(np.float64)
    e = as_numpy(expected).astype(np.float64)
    if a.shape != e.shape:
        raise ValueError(f"shape {a.shape} != expected {e.shape}")
    finite = bool(np.array_equal(np.isnan(a), np.isnan(e)) and np.array_equal(np.isinf(a), np.isinf(e)))
    a, e = np.nan_to_num(a), np.nan_to_num(e)
    diff = np.abs(a - e)
    magnitude = np.abs(e)
    tiny = np.finfo(np.float64).tiny
    if diff.size == 0:
        return Comparison(0.0, 0.0, 0.0, 0, 0, 0.0, 0.0, (), 0.0, 0.0, finite, tolerance)
    excess = diff - (tolerance.atol + tolerance.rtol * magnitude)
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(excess), diff.shape))
    return Comparison(
        max_abs=float(diff.max()),
        mean_abs=float(diff.mean()),
        max_rel=float((diff / np.maximum(magnitude, tiny)).max()),
        outside=int((excess > 0).sum()),
        size=int(diff.size),
        needed_atol=float((diff - tolerance.rtol * magnitude).max()),
        needed_rtol=float(((diff - tolerance.atol) / np.maximum(magnitude, tiny)).max()),
        worst_index=worst,
        worst_actual=float(a[worst]),
        worst_expected=float(e[worst]),
        finite=finite,
        tolerance=tolerance,
    )


def assert_close(actual, expected, tolerance: Tolerance, what: str = "") -> None:
    """`AssertionError` with `Comparison.failure` unless `actual` matches `expected` (for tests)."""
    try:
        result = compare(actual, expected, tolerance)
    except ValueError as exc:
        raise AssertionError(f"{what}: {exc}" if what else str(exc)) from None
    if not result.passed:
        raise AssertionError(result.failure(what))
