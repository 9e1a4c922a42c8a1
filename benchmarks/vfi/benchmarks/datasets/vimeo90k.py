"""Vimeo-90K test sets (Xue et al., IJCV 2019) in the layout of `vfi.core.vimeo90k`.

* ``vimeo90k``: the triplet test list; each sequence gives im1.png, im2.png (the true middle) and
  im3.png.
* ``vimeo90k-septuplet``: the septuplet test list, for models with context frames: im4.png is the
  truth between im3.png and im5.png; a model with two frames on each side also gets im1.png and
  im7.png (I_-1 and I_2 at the same 2-frame spacing). A two-frame model on it sees im3 and im5.
"""

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


SEPTUPLET_LAYOUT = vimeo90k.describe("septuplet")
#: positions (0-based: im1 = 0) of img0, img1, the truth, and the context frames of context 2
_SEPTUPLET = {"img0": 2, "img1": 4, "gt": 3, "context": (0, 6)}


def open_vimeo90k_septuplet(root: Path, split: str | None, context: int = 1) -> Dataset:
    if split is not None:
        raise InputError(f"vimeo90k-septuplet: only the test list is evaluated; drop split {split}", "split")
    if context > 2:
        raise InputError(
            f"vimeo90k-septuplet holds 2 frames on each side of im4 at a 2-frame spacing; a model with {context} needs "
            "longer clips (dataset frames or video)"
        )
    items = []
    for entry, folder in vimeo90k.read_sequences(root, "septuplet", "test"):
        path = {key: vimeo90k.frame_path(folder, p) for key, p in _SEPTUPLET.items() if key != "context"}
        others = tuple(vimeo90k.frame_path(folder, p) for p in _SEPTUPLET["context"]) if context == 2 else ()
        item = FileTriplet(entry, path["img0"], path["img1"], path["gt"], context=others)
        require_files("vimeo90k-septuplet", SEPTUPLET_LAYOUT, item.frame0, item.gt, item.frame1, *others)
        items.append(item)
    return file_dataset("vimeo90k-septuplet", root, None, SEPTUPLET_LAYOUT, items)
