"""What every dataset adapter returns: `Triplet`s, and the `Dataset` that yields them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vfi.core.errors import InputError
from vfi.core.frames import read_image


@dataclass
class Triplet:
    """One evaluation sample: RGB uint8 frames [H, W, 3] of one size, and the fraction `t` of the
    way from `frame0` to `frame1` at which `gt` lies; for a model with context frames also those,
    nearest first (I_-1, I_2, ...; `vfi.core.graph_spec.context_input_names`)."""

    name: str
    frame0: np.ndarray
    frame1: np.ndarray
    gt: np.ndarray
    t: float = 0.5
    context: tuple = ()


@dataclass
class FileTriplet:
    """A triplet on disk: (name, frame0 path, frame1 path, ground-truth path[, context paths])."""

    name: str
    frame0: Path
    frame1: Path
    gt: Path
    t: float = 0.5
    context: tuple = ()

    def load(self, dataset: str) -> Triplet:
        paths = (self.frame0, self.frame1, self.gt, *self.context)
        frames = [read_image(p, dataset) for p in paths]
        shapes = {f.shape for f in frames}
        if len(shapes) != 1:
            sizes = ", ".join(f"{p.name} {f.shape[1]}x{f.shape[0]}" for p, f in zip(paths, frames))
            raise InputError(f"{dataset}: frames of sample {self.name} differ in size ({sizes}); a sample needs one size")
        return Triplet(self.name, *frames[:3], t=self.t, context=tuple(frames[3:]))


@dataclass
class Dataset:
    """An opened, layout-checked dataset.

    Attributes:
        name: dataset name (as `open_dataset` takes it).
        root: the folder or file it was opened from.
        split: the split, or None.
        layout: one line describing the expected layout (for the JSON and for error messages).
        count: number of samples when known in advance (None for a video before decoding).
    """

    name: str
    root: Path
    split: str | None
    layout: str
    count: int | None
    _iterate: Callable[[int | None], Iterator[Triplet]] = field(repr=False)
    limit: int | None = None

    def __iter__(self) -> Iterator[Triplet]:
        return self._iterate(self.limit)

    def limited(self, limit: int) -> Dataset:
        count = None if self.count is None else min(self.count, limit)
        return Dataset(self.name, self.root, self.split, self.layout, count, self._iterate, limit)

    def describe(self) -> dict:
        return {"name": self.name, "root": str(self.root), "split": self.split, "layout": self.layout}


def file_dataset(name: str, root: Path, split: str | None, layout: str, items: list[FileTriplet]) -> Dataset:
    """A `Dataset` over triplets on disk (each checked to exist by the caller or `require_files`)."""
    if not items:
        raise InputError(f"{name}: no samples found under {root}; expected {layout}")

    def iterate(limit: int | None) -> Iterator[Triplet]:
        for item in items[:limit]:
            yield item.load(name)

    return Dataset(name, root, split, layout, len(items), iterate)


def require_files(dataset: str, layout: str, *paths: Path) -> None:
    """`InputError` naming the first of `paths` that is not a file."""
    for path in paths:
        if not path.is_file():
            raise InputError(f"{dataset}: missing {path}; expected {layout}")
