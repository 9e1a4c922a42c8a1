"""A folder of frames (image files in natural name order, e.g. extracted from a high-frame-rate
clip) scored by the drop-frame protocol (`vfi.benchmarks.datasets.drop_frame`): the odd frames are
predicted from their even neighbours (and, for a model with context frames, the further kept
frames around them). Frames are read one at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from vfi.benchmarks.datasets.base import Dataset, Triplet
from vfi.benchmarks.datasets.drop_frame import drop_frame_triplets
from vfi.core.errors import InputError
from vfi.core.frames import list_image_files, read_image

LAYOUT = "a folder of image frames in name order (odd frames are dropped and predicted from their even neighbours)"


def open_frame_folder(root: Path, split: str | None, context: int = 1) -> Dataset:
    if split is not None:
        raise InputError(f"frames has no splits; drop split {split}", "split")
    if not root.is_dir():
        raise InputError(f"frames: {root} is not a folder; expected {LAYOUT}")
    files = list_image_files(root)
    if len(files) < 3:
        raise InputError(f"frames: {root} holds {len(files)} image frames; the drop-frame protocol needs at least 3")

    def iterate(limit: int | None) -> Iterator[Triplet]:
        yield from drop_frame_triplets((read_image(p, "frames") for p in files), context, limit)

    return Dataset("frames", root, None, LAYOUT, (len(files) - 1) // 2, iterate)
