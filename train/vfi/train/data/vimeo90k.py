"""Vimeo-90K (Xue et al., 2019): the triplet and septuplet interpolation sets, as distributed.

Layout under `root`::

    tri_trainlist.txt, tri_testlist.txt     one "00001/0001" per line  (triplets)
    sep_trainlist.txt, sep_testlist.txt     one "00001/0001" per line  (septuplets)
    sequences/00001/0001/im1.png ... im3.png   (triplet)  or  im1.png ... im7.png  (septuplet)

The triplet set gives middle frames (t = 0.5: img0 = im1, gt = im2, img1 = im3). With
``arbitrary_t=True`` the septuplet set is used: img0 = im1, img1 = im7 and the ground truth im(k+1)
at t = k/6 for k = 1..5 (random k on the train split; every k on the val split). The train split
reads ``*_trainlist.txt``, the val split ``*_testlist.txt``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vfi.core.errors import InputError
from vfi.train.data.common import FrameDataset, read_image, require_dir

LAYOUTS = {"triplet": ("tri", 3), "septuplet": ("sep", 7)}


class Vimeo90K(FrameDataset):
    """Vimeo-90K triplets (middle frame) or septuplets (``arbitrary_t``: t = k/6).

    Options: ``layout`` ("triplet" or "septuplet"; default: septuplet when `arbitrary_t`, else
    triplet). Middle-frame training on septuplets uses im1, im4, im7 (t = 0.5, motion x3).
    """

    def __init__(self, root, split="train", crop=256, arbitrary_t=False, seed=0, length=None, layout=None):
        layout = layout or ("septuplet" if arbitrary_t else "triplet")
        if layout not in LAYOUTS:
            raise InputError(f"vimeo90k layout must be one of {', '.join(LAYOUTS)}; got {layout!r}")
        prefix, window = LAYOUTS[layout]
        if arbitrary_t and window < 5:
            raise InputError(
                "vimeo90k triplets only hold middle frames (t = 0.5); arbitrary-t training needs the "
                "septuplet set (sep_trainlist.txt, sequences/.../im1..im7.png)"
            )
        super().__init__(split, crop, arbitrary_t, seed, window, length)
        self.root = require_dir(root, "vimeo90k", f"{prefix}_trainlist.txt, {prefix}_testlist.txt and sequences/")
        list_file = self.root / f"{prefix}_{'train' if split == 'train' else 'test'}list.txt"
        if not list_file.is_file():
            raise InputError(
                f"{list_file}: missing; a Vimeo-90K {layout} root holds {prefix}_trainlist.txt and "
                f"{prefix}_testlist.txt listing sequences as '00001/0001'"
            )
        names = [line.strip() for line in list_file.read_text().splitlines() if line.strip()]
        if not names:
            raise InputError(f"{list_file}: lists no sequences (expected lines like '00001/0001')")
        self.items = [self.root / "sequences" / name for name in names]
        first = self.items[0]
        if not first.is_dir():
            raise InputError(
                f"{first}: missing; {list_file.name} lists {names[0]!r}, expected the folder "
                f"sequences/{names[0]}/ with im1.png ... im{window}.png"
            )

    def _where(self, item: Path) -> str:
        return str(item)

    def _frames(self, item: Path, positions: list[int]) -> list[np.ndarray]:
        return [read_image(item / f"im{p + 1}.png") for p in positions]
