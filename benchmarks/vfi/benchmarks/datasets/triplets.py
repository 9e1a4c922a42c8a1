"""Generic triplets: every sub-folder of the root holds exactly three images; in name order they
are the first frame, the true middle frame and the last frame."""

from __future__ import annotations

from pathlib import Path

from vfi.benchmarks.datasets.base import Dataset, FileTriplet, file_dataset
from vfi.core.errors import InputError
from vfi.core.frames import list_image_files, natural_key

LAYOUT = "one sub-folder per sample holding exactly three image frames (name order: first, middle = ground truth, last)"


def open_triplets(root: Path, split: str | None) -> Dataset:
    if split is not None:
        raise InputError(f"triplets has no splits; drop split {split}", "split")
    if not root.is_dir():
        raise InputError(f"triplets: {root} is not a folder; expected {LAYOUT}")
    items = []
    for folder in sorted((p for p in root.iterdir() if p.is_dir()), key=natural_key):
        frames = list_image_files(folder)
        if len(frames) != 3:
            raise InputError(f"triplets: {folder} holds {len(frames)} frames; expected {LAYOUT}")
        items.append(FileTriplet(folder.name, frames[0], frames[2], frames[1]))
    return file_dataset("triplets", root, None, LAYOUT, items)
