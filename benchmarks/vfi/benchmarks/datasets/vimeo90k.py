"""Vimeo-90K triplet test set (Xue et al., IJCV 2019): `tri_testlist.txt` lists `<a>/<b>` per line;
frames are `sequences/<a>/<b>/im1.png`, `im2.png` (the true middle) and `im3.png`."""

from __future__ import annotations

from pathlib import Path

from vfi.benchmarks.datasets.base import Dataset, FileTriplet, file_dataset, require_files
from vfi.core.errors import InputError

LAYOUT = "tri_testlist.txt (one <a>/<b> per line) and sequences/<a>/<b>/im1.png, im2.png, im3.png"


def open_vimeo90k(root: Path, split: str | None) -> Dataset:
    if split is not None:
        raise InputError(f"vimeo90k: only the test list is evaluated; drop --split {split}")
    listing = root / "tri_testlist.txt"
    require_files("vimeo90k", LAYOUT, listing)
    items = []
    for number, line in enumerate(listing.read_text().splitlines(), start=1):
        entry = line.strip()
        if not entry:
            continue
        parts = entry.split("/")
        if len(parts) != 2 or not all(parts):
            raise InputError(f"vimeo90k: {listing} line {number}: {entry!r} is not <a>/<b>; expected {LAYOUT}")
        folder = root / "sequences" / parts[0] / parts[1]
        item = FileTriplet(entry, folder / "im1.png", folder / "im3.png", folder / "im2.png")
        require_files("vimeo90k", LAYOUT, item.frame0, item.gt, item.frame1)
        items.append(item)
    return file_dataset("vimeo90k", root, None, LAYOUT, items)
