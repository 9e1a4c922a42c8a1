"""UCF101 interpolation test set (as distributed with DVF, Liu et al., ICCV 2017): one folder per
sample, `<id>/frame_00.png`, `<id>/frame_01_gt.png` (the true middle), `<id>/frame_02.png`."""

from __future__ import annotations

from pathlib import Path

from vfi.benchmarks.datasets.base import Dataset, FileTriplet, file_dataset, require_files
from vfi.core.errors import InputError
from vfi.core.frames import natural_key

LAYOUT = "<id>/frame_00.png, <id>/frame_01_gt.png, <id>/frame_02.png (one folder per sample)"


def open_ucf101(root: Path, split: str | None) -> Dataset:
    if split is not None:
        raise InputError(f"ucf101 has no splits; drop split {split}", "split")
    items = []
    for name in sorted((p.name for p in root.iterdir() if p.is_dir()), key=natural_key):
        folder = root / name
        item = FileTriplet(name, folder / "frame_00.png", folder / "frame_02.png", folder / "frame_01_gt.png")
        require_files("ucf101", LAYOUT, item.frame0, item.gt, item.frame1)
        items.append(item)
    return file_dataset("ucf101", root, None, LAYOUT, items)
