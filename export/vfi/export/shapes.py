"""Frame sizes of exports and builds, and the TensorRT optimisation profile.

Sizes are written ``HxW`` (height by width, pixels) or ``NxHxW`` with a batch size first, e.g.
``768x1280`` for a shape, ``1x64x64`` / ``1x768x1280`` / ``2x1088x1920`` for a profile's min, opt
and max.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vfi.core.errors import InputError

_SIZE = re.compile(r"^\s*(?:(\d+)\s*[xX]\s*)?(\d+)\s*[xX]\s*(\d+)\s*$")


@dataclass(frozen=True)
class Size:
    """A batch size and a frame size (pixels)."""

    batch: int
    height: int
    width: int

    def __str__(self) -> str:
        return f"{self.batch}x{self.height}x{self.width}"


def parse_size(text: str, parameter: str, default_batch: int = 1) -> Size:
    """`Size` from "HxW" or "NxHxW"; `InputError` naming `parameter` otherwise."""
    match = _SIZE.match(text or "")
    if not match:
        raise InputError(f"{parameter} {text!r} is not a size; write HxW (e.g. 768x1280) or NxHxW (e.g. 1x768x1280)", parameter)
    batch = int(match.group(1)) if match.group(1) else default_batch
    size = Size(batch, int(match.group(2)), int(match.group(3)))
    if min(size.batch, size.height, size.width) < 1:
        raise InputError(f"{parameter} {text!r}: batch, height and width must be >= 1", parameter)
    return size


def check_multiple(size: Size, multiple: int, parameter: str) -> None:
    """`InputError` unless height and width are multiples of the model's pad multiple."""
    from vfi.core.padding import padded_size

    if size.height % multiple or size.width % multiple:
        up_h, up_w = padded_size(size.height, size.width, multiple)
        raise InputError(
            f"{parameter} {size.height}x{size.width} is not a multiple of the model's pad multiple {multiple}; "
            f"use {up_h}x{up_w} (frames are padded up to it at run time)",
            parameter,
        )


@dataclass(frozen=True)
class Profile:
    """One optimisation profile: min, opt and max size of the inputs.

    `shapes(spec)` gives name -> (min, opt, max) shapes for the inputs of a graph interface
    (`vfi.core.graph_spec.GraphSpec`: its timestep input and context frames).
    """

    min: Size
    opt: Size
    max: Size

    def shapes(self, spec) -> dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]]:
        per_size = [spec.input_shapes(s.batch, s.height, s.width) for s in (self.min, self.opt, self.max)]
        return {name: tuple(tuple(p[name]) for p in per_size) for name in spec.input_names}

    def as_dict(self, spec) -> dict:
        return {name: {"min": list(a), "opt": list(b), "max": list(c)} for name, (a, b, c) in self.shapes(spec).items()}


def make_profile(
    graph_inputs: dict[str, list], multiple: int, min_text: str | None, opt_text: str | None, max_text: str | None
) -> Profile:
    """The profile for a graph whose ``img0`` input has shape `graph_inputs["img0"]` (ints for
    static dimensions, strings for symbolic ones).

    A static graph needs no sizes (its shape is the profile) and refuses sizes that disagree with
    it. A graph with symbolic dimensions needs min and max; opt defaults to max (the size the
    video runs at is usually the largest one planned for).
    """
    n, _, h, w = graph_inputs["img0"]
    static = Size(n, h, w) if all(isinstance(d, int) for d in (n, h, w)) else None
    given = {
        name: parse_size(text, name) if text else None for name, text in (("min", min_text), ("opt", opt_text), ("max", max_text))
    }
    if static is not None and not any(given.values()):
        return Profile(static, static, static)
    if given["min"] is None or given["max"] is None:
        raise InputError(
            "the graph has symbolic dimensions: give min and max (and optionally opt) sizes, e.g. "
            "min 1x64x64, opt 1x768x1280, max 1x1088x1920",
            "min",
            "max",
            "opt",
        )
    profile = Profile(given["min"], given["opt"] or given["max"], given["max"])
    for name in ("min", "opt", "max"):
        size = getattr(profile, name)
        check_multiple(size, multiple, name)
        for label, dim, want in (("batch", size.batch, n), ("height", size.height, h), ("width", size.width, w)):
            if isinstance(want, int) and dim != want:
                raise InputError(f"{name} {size}: the graph's {label} is fixed at {want}", name)
    for label in ("batch", "height", "width"):
        lo, mid, hi = (getattr(getattr(profile, k), label) for k in ("min", "opt", "max"))
        if not lo <= mid <= hi:
            raise InputError(f"profile {label} must satisfy min <= opt <= max; got {lo}, {mid}, {hi}")
    return profile
