"""Vimeo-90K triplet test set (Xue et al., IJCV 2019): the layout of `vfi.core.vimeo90k`; each
listed sequence gives im1.png, im2.png (the true middle) and im3.png."""

from __future__ import annotations

from pathlib import Path

from vfi.benchmarks.datasets.base import Dataset, FileTriplet, file_dataset, require_files
from vfi.core import vimeo90k
from vfi.core.errors import InputError

LAYOUT = vimeo90k.describe("triplet")


def open_vimeo90k(root: Path, split: str | None) -> Dataset:
    if split is not None:
        raise InputError(f"vimeo90k: only the test list is evaluated; drop split {split}", "split")
    items = []
    for entry, folder in vimeo90k.read_sequences(root, "triplet", "test"):
        frame0, gt, frame1 = (vimeo90k.frame_path(folder, p) for p in range(3))
        item = FileTriplet(entry, frame0, frame1, gt)
        require_files("vimeo90k", LAYOUT, item.frame0, item.gt, item.frame1)
        items.append(item)
    return file_dataset("vimeo90k", root, None, LAYOUT, items)
