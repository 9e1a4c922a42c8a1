"""Validators of numeric option values: the one place a command or library entry point checks a
number a user typed.

Each validator takes the value and the library parameter it is for (``"lr"``, ``"input_fps"``),
returns the value unchanged when it is acceptable (None passes through where ``None`` means "not
given"), and otherwise raises one `InputError` whose single-line message names the parameter (so
the CLI writes it as the flag: ``input_fps`` -> ``--input-fps``) and says what is allowed.

Limits on sizes are stated here, before anything is allocated: a frame side is at most
`MAX_SIDE` pixels (the dynamic-shape bound of `vfi.core.graph_spec`), a batch at most
`MAX_BATCH` frames.
"""

from __future__ import annotations

import math
import numbers

from vfi.core.errors import InputError
from vfi.core.graph_spec import MAX_DYNAMIC_BATCH, MAX_DYNAMIC_SIZE

#: the largest frame height or width (pixels) an export, build or server accepts
MAX_SIDE = MAX_DYNAMIC_SIZE
#: the largest batch (frames per call) an export, build or server accepts
MAX_BATCH = MAX_DYNAMIC_BATCH


def _fail(parameter: str, value, rule: str) -> InputError:
    return InputError(f"{parameter} must be {rule}, got {_show(value)}", parameter)


def _show(value) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _number(value, parameter: str, rule: str) -> float:
    """`value` as a float, refusing bools, strings and other non-numbers."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _fail(parameter, value, rule)
    return float(value)


def finite(value, parameter: str):
    """`value` if it is a finite real number (not nan, not +-inf)."""
    if value is None:
        return None
    if not math.isfinite(_number(value, parameter, "a finite number")):
        raise _fail(parameter, value, "a finite number")
    return value


def positive(value, parameter: str):
    """`value` if it is a finite number > 0 (a rate, a learning rate, a time)."""
    if value is None:
        return None
    number = _number(value, parameter, "a finite number > 0")
    if not (math.isfinite(number) and number > 0):
        raise _fail(parameter, value, "a finite number > 0")
    return value


def non_negative(value, parameter: str):
    """`value` if it is a finite number >= 0."""
    if value is None:
        return None
    number = _number(value, parameter, "a finite number >= 0")
    if not (math.isfinite(number) and number >= 0):
        raise _fail(parameter, value, "a finite number >= 0")
    return value


def in_range(value, parameter: str, low: float, high: float, high_open: bool = False):
    """`value` if it is a finite number in [low, high] (or [low, high) with `high_open`)."""
    if value is None:
        return None
    rule = f"a finite number in [{low:g}, {high:g}{')' if high_open else ']'}"
    number = _number(value, parameter, rule)
    inside = math.isfinite(number) and low <= number and (number < high if high_open else number <= high)
    if not inside:
        raise _fail(parameter, value, rule)
    return value


def integer(value, parameter: str, minimum: int | None = None, maximum: int | None = None):
    """`value` if it is an integer (not a bool, not a float) within [minimum, maximum]."""
    if value is None:
        return None
    if minimum is not None and maximum is not None:
        rule = f"an integer in {minimum}..{maximum}"
    elif minimum is not None:
        rule = f"an integer >= {minimum}"
    elif maximum is not None:
        rule = f"an integer <= {maximum}"
    else:
        rule = "an integer"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _fail(parameter, value, rule)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise _fail(parameter, value, rule)
    return value


def count(value, parameter: str, maximum: int | None = None):
    """`value` if it is an integer >= 1 (and <= `maximum`): runs, instances, threads, steps."""
    return integer(value, parameter, 1, maximum)


def batch(value, parameter: str = "batch"):
    """`value` if it is a batch size in 1..`MAX_BATCH`."""
    return integer(value, parameter, 1, MAX_BATCH)


def side(value, parameter: str, minimum: int = 1):
    """`value` if it is a frame height or width in minimum..`MAX_SIDE` pixels."""
    return integer(value, parameter, minimum, MAX_SIDE)


def frame_size(height, width, parameter: str, batch_size=None) -> None:
    """Refuse a frame size (and batch) beyond the stated limits, before anything is allocated."""
    for label, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 1 <= value <= MAX_SIDE:
            raise InputError(f"{parameter}: {label} must be an integer in 1..{MAX_SIDE} pixels, got {_show(value)}", parameter)
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or not 1 <= batch_size <= MAX_BATCH
    ):
        raise InputError(f"{parameter}: batch must be an integer in 1..{MAX_BATCH}, got {_show(batch_size)}", parameter)


def port(value, parameter: str):
    """`value` if it is a TCP port number, 1..65535."""
    return integer(value, parameter, 1, 65535)


# -- the options of `vfi interpolate` (the pipeline and its CLI call these) ----------------------


def output_fps(value, parameter: str = "fps"):
    """An output frame rate: finite and > 0 (None: not given)."""
    return positive(value, parameter)


def input_fps(value, parameter: str = "input_fps"):
    """The input's frame rate: finite and > 0 (None: not given, use the video's own; 0 is refused,
    never read as "not given")."""
    return positive(value, parameter)


def scene_threshold(value, parameter: str = "scene_threshold"):
    """A scene-cut threshold: a luma-histogram distance in [0, 1] (0 disables cut detection)."""
    return in_range(value, parameter, 0.0, 1.0)


def factor(value, parameter: str = "factor"):
    """An interpolation factor: an integer >= 2 (None: not given)."""
    return integer(value, parameter, 2)


def crf(value, parameter: str = "crf"):
    """An H.264 quality: an integer in 0..51."""
    return integer(value, parameter, 0, 51)


def flow_scale(value, parameter: str = "flow_scale"):
    """RIFE's flow resolution fraction: finite and > 0 (None: the model's own; the model itself
    refuses values whose block scales are not powers of two)."""
    return positive(value, parameter)
