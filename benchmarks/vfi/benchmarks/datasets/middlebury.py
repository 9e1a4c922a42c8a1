"""Middlebury-Other with ground truth (Baker et al., IJCV 2011): `input/<Seq>/frame10.png`,
`input/<Seq>/frame11.png` and the true middle frame `gt/<Seq>/frame10i11.png`."""

from __future__ import annotations

from pathlib import Path

from vfi.benchmarks.datasets.base import Dataset, FileTriplet, file_dataset, require_files
from vfi.core.errors import InputError

LAYOUT = "input/<Seq>/frame10.png, input/<Seq>/frame11.png and gt/<Seq>/frame10i11.png"


def open_middlebury(root: Path, split: str | None) -> Dataset:
    if split is not None:
        raise InputError(f"middlebury has no splits; drop split {split}", "split")
    inputs, gts = root / "input", root / "gt"
    for folder in (inputs, gts):
        if not folder.is_dir():
            raise InputError(f"middlebury: {folder} is not a folder; expected {LAYOUT} under {root}")
    items = []
    for seq in sorted(p.name for p in inputs.iterdir() if p.is_dir()):
        item = FileTriplet(seq, inputs / seq / "frame10.png", inputs / seq / "frame11.png", gts / seq / "frame10i11.png")
        require_files("middlebury", LAYOUT, item.frame0, item.frame1, item.gt)
        items.append(item)
    return file_dataset("middlebury", root, None, LAYOUT, items)
